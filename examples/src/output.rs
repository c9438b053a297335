//! Where the runners write their lines: stdout for the programs, a `Vec` for tests.

/// Takes output lines.
pub trait LineSink {
    /// Takes one output line.
    fn line(&mut self, line: String);
}

impl LineSink for Vec<String> {
    fn line(&mut self, line: String) {
        self.push(line);
    }
}

/// Prints each line to stdout.
#[derive(Clone, Copy, Debug, Default)]
pub struct Stdout;

impl LineSink for Stdout {
    fn line(&mut self, line: String) {
        println!("{line}");
    }
}

impl<T: LineSink + ?Sized> LineSink for &mut T {
    fn line(&mut self, line: String) {
        (**self).line(line);
    }
}
