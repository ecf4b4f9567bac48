//! The matching engine behind [`super::Glob`]: parsed pieces compile to a Thompson NFA,
//! and matching advances every live state at once, so it costs O(pattern × input) whatever
//! the pattern. Programs of up to 128 instructions (nearly every real pattern) run on
//! precomputed `u128` epsilon closures with no allocation; longer ones use a state list.
//! Literal text at either end of a pattern is compared directly and never reaches the NFA.

/// Which characters one NFA step consumes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Set {
    One(char),
    /// Inclusive ranges; a listed single character is a range of one.
    Ranges(Vec<(char, char)>),
    NotSlash,
    Any,
}

impl Set {
    fn accepts(&self, c: char) -> bool {
        match self {
            Set::One(x) => *x == c,
            Set::Ranges(r) => r.iter().any(|&(lo, hi)| lo <= c && c <= hi),
            Set::NotSlash => c != '/',
            Set::Any => true,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Inst {
    /// Consume one character from the set, then continue at the next instruction.
    Step(Set),
    /// Continue at both targets without consuming anything.
    Split(usize, usize),
    Jump(usize),
    Match,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Rep {
    One,
    Opt,
    Star,
    Plus,
}

/// The parsed pattern before compilation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Piece {
    Atom(Set, Rep),
    /// `**/` at a segment start: `(.*/)?`, zero or more whole directories.
    AnyDirs,
}

/// A compiled pattern: literal prefix and suffix around an NFA for the middle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Nfa {
    prefix: String,
    suffix: String,
    insts: Vec<Inst>,
    /// For each instruction, the consuming or final instructions reachable from it without
    /// input, as a bit set; None when the program has more than 128 instructions.
    closure: Option<Vec<u128>>,
}

/// Leading and trailing pieces that are plain characters.
fn literal_run<'a>(pieces: impl Iterator<Item = &'a Piece>) -> String {
    pieces
        .map_while(|p| match p {
            Piece::Atom(Set::One(c), Rep::One) => Some(*c),
            _ => None,
        })
        .collect()
}

impl Nfa {
    /// Compiles pieces that are not all plain characters (those are a plain string).
    pub(super) fn new(mut pieces: Vec<Piece>) -> Nfa {
        let prefix = literal_run(pieces.iter());
        pieces.drain(..prefix.chars().count());
        let suffix: String = literal_run(pieces.iter().rev()).chars().rev().collect();
        pieces.truncate(pieces.len() - suffix.chars().count());
        let insts = compile(pieces);
        let closure = (insts.len() <= 128).then(|| closures(&insts));
        Nfa {
            prefix,
            suffix,
            insts,
            closure,
        }
    }

    pub(super) fn matches(&self, s: &str) -> bool {
        let fixed = self.prefix.len() + self.suffix.len();
        if s.len() < fixed || !s.starts_with(&self.prefix) || !s.ends_with(&self.suffix) {
            return false;
        }
        // Both ends matched whole characters, so these are character boundaries.
        let middle = &s[self.prefix.len()..s.len() - self.suffix.len()];
        match &self.closure {
            Some(closure) => run_small(&self.insts, closure, middle),
            None => run(&self.insts, middle),
        }
    }
}

fn closures(insts: &[Inst]) -> Vec<u128> {
    let mut stack = Vec::new();
    (0..insts.len())
        .map(|start| {
            let (mut seen, mut out) = (0u128, 0u128);
            stack.push(start);
            while let Some(pc) = stack.pop() {
                if seen & (1 << pc) != 0 {
                    continue;
                }
                seen |= 1 << pc;
                match insts[pc] {
                    Inst::Split(a, b) => stack.extend([b, a]),
                    Inst::Jump(a) => stack.push(a),
                    Inst::Step(_) | Inst::Match => out |= 1 << pc,
                }
            }
            out
        })
        .collect()
}

fn run_small(insts: &[Inst], closure: &[u128], s: &str) -> bool {
    let mut cur = closure[0];
    for c in s.chars() {
        let mut next = 0u128;
        let mut live = cur;
        while live != 0 {
            let pc = live.trailing_zeros() as usize;
            live &= live - 1;
            if let Inst::Step(set) = &insts[pc] {
                if set.accepts(c) {
                    next |= closure[pc + 1];
                }
            }
        }
        if next == 0 {
            return false;
        }
        cur = next;
    }
    // `Match` is always the last instruction.
    cur & (1 << (insts.len() - 1)) != 0
}

fn compile(pieces: Vec<Piece>) -> Vec<Inst> {
    let mut p: Vec<Inst> = Vec::with_capacity(pieces.len() * 3 + 1);
    for piece in pieces {
        let l = p.len();
        match piece {
            Piece::Atom(set, Rep::One) => p.push(Inst::Step(set)),
            Piece::Atom(set, Rep::Opt) => {
                p.push(Inst::Split(l + 1, l + 2));
                p.push(Inst::Step(set));
            }
            Piece::Atom(set, Rep::Star) => {
                p.push(Inst::Split(l + 1, l + 3));
                p.push(Inst::Step(set));
                p.push(Inst::Jump(l));
            }
            Piece::Atom(set, Rep::Plus) => {
                p.push(Inst::Step(set));
                p.push(Inst::Split(l, l + 2));
            }
            Piece::AnyDirs => {
                p.push(Inst::Split(l + 1, l + 5));
                p.push(Inst::Split(l + 2, l + 4));
                p.push(Inst::Step(Set::Any));
                p.push(Inst::Jump(l + 1));
                p.push(Inst::Step(Set::One('/')));
            }
        }
    }
    p.push(Inst::Match);
    p
}

/// The live states of the simulation: a dense list plus a generation-stamped membership
/// array, so clearing between characters is O(1).
struct States {
    list: Vec<usize>,
    seen: Vec<u64>,
}

impl States {
    fn new(n: usize) -> States {
        States {
            list: Vec::with_capacity(n),
            seen: vec![0; n],
        }
    }

    /// Adds `pc` and everything reachable from it without consuming input. Iterative: a
    /// pattern of ten thousand `a?` must not overflow the stack.
    fn add(&mut self, insts: &[Inst], pc: usize, gen: u64, stack: &mut Vec<usize>) {
        stack.push(pc);
        while let Some(pc) = stack.pop() {
            if self.seen[pc] == gen {
                continue;
            }
            self.seen[pc] = gen;
            match insts[pc] {
                Inst::Split(a, b) => {
                    stack.push(b);
                    stack.push(a);
                }
                Inst::Jump(a) => stack.push(a),
                Inst::Step(_) | Inst::Match => self.list.push(pc),
            }
        }
    }
}

/// The general engine, for programs too long for [`Nfa::closure`] bit sets.
fn run(insts: &[Inst], s: &str) -> bool {
    let n = insts.len();
    let mut cur = States::new(n);
    let mut next = States::new(n);
    let mut stack = Vec::new();
    let mut gen = 1u64;
    cur.add(insts, 0, gen, &mut stack);
    for c in s.chars() {
        if cur.list.is_empty() {
            return false;
        }
        gen += 1;
        next.list.clear();
        for &pc in &cur.list {
            if let Inst::Step(set) = &insts[pc] {
                if set.accepts(c) {
                    next.add(insts, pc + 1, gen, &mut stack);
                }
            }
        }
        std::mem::swap(&mut cur, &mut next);
    }
    cur.list.iter().any(|&pc| insts[pc] == Inst::Match)
}
