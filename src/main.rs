fn main() -> std::process::ExitCode {
    flowq::cli::main()
}
