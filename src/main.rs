//! The `pave` binary: everything happens in the library.

fn main() {
    std::process::exit(pave::run());
}
