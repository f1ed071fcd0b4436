//! TEMPORARY STUB (the generator is being written).
pub struct GenerateOptions { pub scale: f64, pub seed: u64, pub out: std::path::PathBuf, pub progress: bool }
pub struct TableReport { pub table: String, pub rows: u64, pub files: Vec<std::path::PathBuf> }
pub struct GenerateReport { pub tables: Vec<TableReport>, pub elapsed: std::time::Duration }
#[derive(Debug, thiserror::Error)] pub enum GenerateError { #[error("x")] X }
pub fn generate(_opts: &GenerateOptions) -> Result<GenerateReport, GenerateError> { Err(GenerateError::X) }
pub const DEMO_AS_OF: (i32, u32, u32) = (2026, 3, 31);
