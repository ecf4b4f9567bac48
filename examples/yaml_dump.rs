//! Prints the YAML tree of a file, for debugging the parser.
fn main() {
    let path = std::env::args().nth(1).expect("usage: yaml_dump FILE");
    let text = std::fs::read_to_string(&path).expect("readable file");
    match gantry_core::yaml::parse(&text) {
        Ok(Some(n)) => println!("{n:#?}"),
        Ok(None) => println!("(empty document)"),
        Err(e) => println!("error: {e}"),
    }
}
