//! A criterion measurement of the benchmark thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`).
//!
//! The machine these benches run on is shared (2 cores, other builds and tests beside
//! them): wall time there measures the neighbours as much as the code, and the longer a
//! benchmark's iteration the more preemptions it collects, which skews the ratios
//! between a 100 ns node hash and a 10 ms `hash_tree_root`. The thread's CPU clock
//! counts only the time this thread ran.

use criterion::{
    measurement::{Measurement, ValueFormatter},
    Throughput,
};
use rustix::time::{clock_gettime, ClockId};

/// The benchmark thread's CPU time, in nanoseconds.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ThreadCpuTime;

/// The thread's CPU clock now, in nanoseconds.
pub(crate) fn now_ns() -> u64 {
    let t = clock_gettime(ClockId::ThreadCPUTime);
    (t.tv_sec as u64) * 1_000_000_000 + t.tv_nsec as u64
}

impl Measurement for ThreadCpuTime {
    type Intermediate = u64;
    type Value = u64;

    fn start(&self) -> u64 {
        now_ns()
    }

    fn end(&self, start: u64) -> u64 {
        now_ns().saturating_sub(start)
    }

    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }

    fn zero(&self) -> u64 {
        0
    }

    fn to_f64(&self, value: &u64) -> f64 {
        *value as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        &NanosFormatter
    }
}

/// Formats nanoseconds as criterion's wall-time formatter does.
struct NanosFormatter;

impl ValueFormatter for NanosFormatter {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = if typical < 1e3 {
            (1.0, "ns")
        } else if typical < 1e6 {
            (1e-3, "µs")
        } else if typical < 1e9 {
            (1e-6, "ms")
        } else {
            (1e-9, "s")
        };
        values.iter_mut().for_each(|v| *v *= factor);
        unit
    }

    fn scale_throughputs(
        &self,
        typical: f64,
        throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        let (per_iter, unit) = match *throughput {
            Throughput::Bytes(n) | Throughput::BytesDecimal(n) => {
                (n as f64 / (1 << 30) as f64, "GiB/s")
            }
            Throughput::Elements(n) => (n as f64, "elem/s"),
            Throughput::Bits(n) => (n as f64 / (1 << 30) as f64, "Gib/s"),
        };
        let _ = typical;
        values.iter_mut().for_each(|v| *v = per_iter / (*v * 1e-9));
        unit
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}
