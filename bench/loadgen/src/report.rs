//! One JSON object per run, printed as one line: the numbers, the errors, and the correctness verdict.

use std::cell::RefCell;
use std::rc::Rc;

use serde_json::{Map, Value};

use crate::cli::Options;
use crate::error::ErrorLog;
use crate::latency::Summary;
use crate::usage::WindowUsage;

/// The result of one scenario run.
#[derive(Debug)]
pub(crate) struct Report {
    fields: Map<String, Value>,
    failures: Vec<String>,
    errors: ErrorLog,
}

fn round(value: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (value * scale).round() / scale
}

impl Report {
    pub(crate) fn new(options: &Options, transport: &str) -> Self {
        let mut fields = Map::new();
        fields.insert("scenario".to_owned(), options.scenario.name().into());
        fields.insert("target".to_owned(), options.label.clone().into());
        fields.insert("transport".to_owned(), transport.into());
        fields.insert("clients".to_owned(), options.clients.into());
        Self {
            fields,
            failures: Vec::new(),
            errors: ErrorLog::default(),
        }
    }

    pub(crate) fn set(&mut self, key: &str, value: impl Into<Value>) {
        self.fields.insert(key.to_owned(), value.into());
    }

    /// A rate or ratio, rounded for reading.
    pub(crate) fn set_f64(&mut self, key: &str, value: f64) {
        self.set(key, round(value, 1));
    }

    pub(crate) fn set_latency(&mut self, summary: Summary) {
        self.set("latency_samples", summary.count);
        self.set("p50_us", summary.p50_us);
        self.set("p99_us", summary.p99_us);
        self.set("max_us", summary.max_us);
    }

    pub(crate) fn set_usage(&mut self, usage: WindowUsage) {
        self.set("window_s", round(usage.wall.as_secs_f64(), 3));
        self.set_f64("loadgen_cpu_pct", usage.own_cpu_percent());
        self.set("server_cpu_pct", usage.server_cpu_percent().map(|pct| round(pct, 1)));
    }

    /// A correctness check that failed; it makes `--check` exit non-zero.
    pub(crate) fn fail(&mut self, why: impl Into<String>) {
        self.failures.push(why.into());
    }

    /// Takes the errors the clients recorded; every one is a failure under `--check`.
    pub(crate) fn take_errors(&mut self, errors: &Rc<RefCell<ErrorLog>>) {
        self.errors = std::mem::take(&mut *errors.borrow_mut());
    }

    pub(crate) fn is_ok(&self) -> bool {
        self.failures.is_empty() && self.errors.count() == 0
    }

    pub(crate) fn to_line(&self) -> String {
        let mut fields = self.fields.clone();
        fields.insert("ok".to_owned(), self.is_ok().into());
        fields.insert("failures".to_owned(), self.failures.clone().into());
        fields.insert("errors".to_owned(), self.errors.count().into());
        fields.insert("error_samples".to_owned(), self.errors.samples().to_vec().into());
        Value::Object(fields).to_string()
    }
}
