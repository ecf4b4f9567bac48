//! The 16 colours a log line may show, and the nearest of them to a 256-colour index or a
//! 24-bit colour: the page has one class per colour (the CSP allows no inline `style=`),
//! so richer colours are mapped down rather than dropped.

/// xterm's default RGB of the 16 ANSI colours, the reference the mapping measures against.
const ANSI16: [(u8, u8, u8); 16] = [
    (0, 0, 0),
    (205, 0, 0),
    (0, 205, 0),
    (205, 205, 0),
    (0, 0, 238),
    (205, 0, 205),
    (0, 205, 205),
    (229, 229, 229),
    (127, 127, 127),
    (255, 0, 0),
    (0, 255, 0),
    (255, 255, 0),
    (92, 92, 255),
    (255, 0, 255),
    (0, 255, 255),
    (255, 255, 255),
];

/// Class name part of colour `i` (0–15): `red`, `bright-red`...
pub fn name(i: u8) -> &'static str {
    const NAMES: [&str; 16] = [
        "black",
        "red",
        "green",
        "yellow",
        "blue",
        "magenta",
        "cyan",
        "white",
        "bright-black",
        "bright-red",
        "bright-green",
        "bright-yellow",
        "bright-blue",
        "bright-magenta",
        "bright-cyan",
        "bright-white",
    ];
    NAMES[usize::from(i & 15)]
}

/// The nearest of the 16 colours to an RGB colour (squared distance; ties to the lower index).
pub fn nearest(r: u8, g: u8, b: u8) -> u8 {
    let d = |(x, y, z): (u8, u8, u8)| {
        let sq = |a: u8, b: u8| (i32::from(a) - i32::from(b)).pow(2);
        sq(x, r) + sq(y, g) + sq(z, b)
    };
    let mut best = 0u8;
    for (i, c) in ANSI16.iter().enumerate() {
        if d(*c) < d(ANSI16[usize::from(best)]) {
            best = i as u8;
        }
    }
    best
}

/// The 16-colour equivalent of a 256-colour index: itself below 16, else the RGB of the
/// 6×6×6 cube or the grey ramp, mapped to the nearest.
pub fn from_256(i: u8) -> u8 {
    const LEVELS: [u8; 6] = [0, 95, 135, 175, 215, 255];
    match i {
        0..=15 => i,
        16..=231 => {
            let c = i - 16;
            let level = |v: u8| LEVELS[usize::from(v)];
            nearest(level(c / 36), level(c / 6 % 6), level(c % 6))
        }
        _ => {
            let v = 8 + 10 * (i - 232);
            nearest(v, v, v)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rich_colours_map_to_the_nearest_of_sixteen() {
        for (i, want) in [
            (1, "red"),
            (9, "bright-red"),
            (196, "bright-red"),
            (160, "red"),
            (46, "bright-green"),
            (21, "blue"),
            (16, "black"),
            (231, "bright-white"),
            (232, "black"),
            (244, "bright-black"),
            (255, "white"),
        ] {
            assert_eq!(name(from_256(i)), want, "256-colour {i}");
        }
        for ((r, g, b), want) in [
            ((255, 0, 0), "bright-red"),
            ((200, 10, 10), "red"),
            ((0, 0, 0), "black"),
            ((250, 250, 250), "bright-white"),
            ((0, 200, 200), "cyan"),
            ((120, 120, 130), "bright-black"),
        ] {
            assert_eq!(name(nearest(r, g, b)), want, "rgb {r},{g},{b}");
        }
    }
}
