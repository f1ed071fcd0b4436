//! Parquet encoding shared by the published tables (src/publish.rs) and the
//! checkpoints (src/checkpoints.rs): rows written one full row group at a
//! time, each row group's columns encoded in parallel, on a thread beside the
//! query that produces the rows.

use std::io::Write;
use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::{ArrowRowGroupWriterFactory, compute_leaves};
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;

/// Writes rows, in their order, into a Parquet file, one full row group at
/// a time: rows are held until `group_rows` of them are there, then written
/// as one row group of exactly that many (the last group: the rest). The
/// bytes thus depend only on the rows, however they arrived in batches; at
/// most one row group's rows are held.
///
/// A row group's columns are encoded in parallel, each by its own
/// `ArrowColumnWriter` on a scoped thread, then appended in schema order:
/// the same column writers, the same calls and the same order as
/// `ArrowWriter::write` of the whole group followed by a flush, so the same
/// bytes (tests: `parallel_columns_write_the_bytes_of_arrow_writer`).
pub struct RowGroupWriter<W: Write + Send> {
    schema: SchemaRef,
    held: Vec<RecordBatch>,
    held_rows: usize,
    rows: u64,
    file: SerializedFileWriter<W>,
    columns: ArrowRowGroupWriterFactory,
    row_groups: usize,
    group_rows: usize,
}

impl<W: Write + Send> RowGroupWriter<W> {
    /// A file written into `sink` with `props`, in row groups of
    /// `group_rows` rows.
    pub fn new(
        sink: W,
        schema: SchemaRef,
        props: WriterProperties,
        group_rows: usize,
    ) -> Result<Self, ParquetError> {
        // The Arrow writer sets the file up (Parquet schema, properties, the
        // Arrow schema in its metadata); its lower-level parts write the rows.
        let (file, columns) = ArrowWriter::try_new(sink, Arc::clone(&schema), Some(props))
            .and_then(ArrowWriter::into_serialized_writer)?;
        Ok(Self {
            schema,
            held: Vec::new(),
            held_rows: 0,
            rows: 0,
            file,
            columns,
            row_groups: 0,
            group_rows: group_rows.max(1),
        })
    }

    /// Takes the next rows.
    pub fn push(&mut self, batch: RecordBatch) -> Result<(), ParquetError> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        self.held_rows += batch.num_rows();
        self.held.push(batch);
        while self.held_rows >= self.group_rows {
            let all = self.concat()?;
            self.write(&all.slice(0, self.group_rows))?;
            let rest = all.slice(self.group_rows, all.num_rows() - self.group_rows);
            self.held_rows = rest.num_rows();
            self.held = vec![rest];
        }
        Ok(())
    }

    /// Writes the last row group and closes the file; returns the rows
    /// written and the sink.
    pub fn finish(mut self) -> Result<(u64, W), ParquetError> {
        if self.held_rows > 0 {
            let all = self.concat()?;
            self.write(&all)?;
        }
        let sink = self.file.into_inner()?;
        Ok((self.rows, sink))
    }

    fn concat(&mut self) -> Result<RecordBatch, ParquetError> {
        let held = std::mem::take(&mut self.held);
        Ok(datafusion::arrow::compute::concat_batches(
            &self.schema,
            &held,
        )?)
    }

    /// Writes one row group: every column encoded on a thread of its own.
    fn write(&mut self, batch: &RecordBatch) -> Result<(), ParquetError> {
        let writers = self.columns.create_column_writers(self.row_groups)?;
        let mut leaves = Vec::with_capacity(writers.len());
        for (field, column) in self.schema.fields().iter().zip(batch.columns()) {
            leaves.extend(compute_leaves(field, column)?);
        }
        if leaves.len() != writers.len() {
            return Err(ParquetError::General(format!(
                "{} leaves for {} columns",
                leaves.len(),
                writers.len()
            )));
        }
        let chunks = std::thread::scope(|scope| {
            let running: Vec<_> = writers
                .into_iter()
                .zip(&leaves)
                .map(|(mut writer, leaf)| {
                    scope.spawn(move || {
                        writer.write(leaf)?;
                        writer.close()
                    })
                })
                .collect();
            running
                .into_iter()
                .map(|thread| match thread.join() {
                    Ok(chunk) => chunk,
                    Err(_) => Err(ParquetError::General(
                        "a column's encoding thread panicked".into(),
                    )),
                })
                .collect::<Result<Vec<_>, _>>()
        })?;
        let mut group = self.file.next_row_group()?;
        for chunk in chunks {
            chunk.append_to_row_group(&mut group)?;
        }
        group.close()?;
        self.row_groups += 1;
        self.rows += batch.num_rows() as u64;
        Ok(())
    }
}

/// A [`RowGroupWriter`] on a blocking thread of its own, so that a file is
/// encoded while the next rows are computed. Batches reach it through a
/// queue of `queued` batches: a producer further ahead of the encoder waits.
pub struct Background<W: Write + Send + 'static> {
    sender: tokio::sync::mpsc::Sender<RecordBatch>,
    handle: tokio::task::JoinHandle<Result<(u64, W), ParquetError>>,
}

impl<W: Write + Send + 'static> Background<W> {
    pub fn start(mut writer: RowGroupWriter<W>, queued: usize) -> Self {
        let (sender, mut receiver) = tokio::sync::mpsc::channel::<RecordBatch>(queued.max(1));
        let handle = tokio::task::spawn_blocking(move || {
            while let Some(batch) = receiver.blocking_recv() {
                writer.push(batch)?;
            }
            writer.finish()
        });
        Self { sender, handle }
    }

    /// Queues the next rows. False when the encoder has stopped on an error,
    /// which [`Background::finish`] returns.
    pub async fn push(&self, batch: RecordBatch) -> bool {
        self.sender.send(batch).await.is_ok()
    }

    /// Waits for the file: the rows written and the sink. A panic of the
    /// encoding thread is a bug: it continues here, as if the rows had been
    /// encoded inline, and the binary reports it as an internal error.
    pub async fn finish(self) -> Result<(u64, W), ParquetError> {
        drop(self.sender);
        match self.handle.await {
            Ok(done) => done,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => Err(ParquetError::External(Box::new(e))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{
        ArrayRef, Date32Array, Decimal128Array, Int64Array, StringArray,
    };
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use parquet::basic::{Compression, ZstdLevel};

    /// Rows with nulls, repeats (dictionary pages) and distinct strings.
    fn rows(n: usize) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("client_id", DataType::Utf8, true),
            Field::new("segment", DataType::Utf8, false),
            Field::new("billing", DataType::Decimal128(38, 2), true),
            Field::new("day", DataType::Date32, true),
            Field::new("lines", DataType::Int64, false),
        ]));
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from_iter((0..n).map(|i| {
                (i % 7 != 3).then(|| format!("C{:06}", i * 7919 % 100_003))
            }))),
            Arc::new(StringArray::from_iter_values(
                (0..n).map(|i| ["RETENCION", "INVERSION", "REVISION"][i % 3]),
            )),
            Arc::new(
                Decimal128Array::from_iter(
                    (0..n).map(|i| (i % 11 != 0).then_some(i as i128 * 1013 - 500_000)),
                )
                .with_precision_and_scale(38, 2)
                .unwrap(),
            ),
            Arc::new(Date32Array::from_iter(
                (0..n).map(|i| (i % 5 != 0).then_some(19_000 + (i % 400) as i32)),
            )),
            Arc::new(Int64Array::from_iter_values(
                (0..n).map(|i| (i * i % 97) as i64),
            )),
        ];
        RecordBatch::try_new(schema, columns).unwrap()
    }

    fn properties(group_rows: usize, compression: Compression) -> WriterProperties {
        WriterProperties::builder()
            .set_compression(compression)
            .set_max_row_group_row_count(Some(group_rows))
            .build()
    }

    /// Feeds `all` to `push` in slices of the given lengths, cycled.
    fn in_slices(all: &RecordBatch, lens: &[usize], mut push: impl FnMut(RecordBatch)) {
        let n = all.num_rows();
        let mut at = 0;
        for &len in lens.iter().cycle() {
            if at >= n {
                break;
            }
            let len = len.min(n - at);
            push(all.slice(at, len));
            at += len;
        }
    }

    #[test]
    fn parallel_columns_write_the_bytes_of_arrow_writer() {
        let group_rows = 1000;
        for compression in [
            Compression::ZSTD(ZstdLevel::default()),
            Compression::LZ4_RAW,
        ] {
            for n in [0, 1, 999, 1000, 1001, 3500] {
                let all = rows(n);
                // The reference: one Arrow writer, fed in uneven slices.
                let props = properties(group_rows, compression);
                let mut reference =
                    ArrowWriter::try_new(Vec::new(), all.schema(), Some(props.clone())).unwrap();
                in_slices(&all, &[1, 700, 1500, usize::MAX], |b| {
                    reference.write(&b).unwrap()
                });
                let expected = reference.into_inner().unwrap();
                // Row groups of parallel columns, fed in other slices.
                let mut writer =
                    RowGroupWriter::new(Vec::new(), all.schema(), props, group_rows).unwrap();
                in_slices(&all, &[333, 1, 2000], |b| writer.push(b).unwrap());
                let (written, bytes) = writer.finish().unwrap();
                assert_eq!(written, n as u64);
                assert!(
                    bytes == expected,
                    "{n} rows, {compression}: the files differ"
                );
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_background_thread_writes_the_same_file() {
        let all = rows(2500);
        let props = properties(1000, Compression::LZ4_RAW);
        let mut direct =
            RowGroupWriter::new(Vec::new(), all.schema(), props.clone(), 1000).unwrap();
        direct.push(all.clone()).unwrap();
        let (_, expected) = direct.finish().unwrap();
        let writer = RowGroupWriter::new(Vec::new(), all.schema(), props, 1000).unwrap();
        let background = Background::start(writer, 2);
        let mut at = 0;
        while at < all.num_rows() {
            let len = 300.min(all.num_rows() - at);
            assert!(background.push(all.slice(at, len)).await);
            at += len;
        }
        let (written, bytes) = background.finish().await.unwrap();
        assert_eq!(written, 2500);
        assert!(bytes == expected, "the files differ");
    }

    /// A sink that takes `room` bytes, then fails like a full disk.
    struct Full {
        room: usize,
    }

    impl Write for Full {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if buf.len() > self.room {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::StorageFull,
                    "no space left on device",
                ));
            }
            self.room -= buf.len();
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_sink_stops_the_background_thread_with_its_error() {
        let all = rows(5000);
        let props = properties(1000, Compression::LZ4_RAW);
        let writer = RowGroupWriter::new(Full { room: 2000 }, all.schema(), props, 1000).unwrap();
        let background = Background::start(writer, 1);
        // The producer is told to stop (a send fails once the thread has
        // ended) or, at the latest, finish returns the error: never a hang.
        let mut at = 0;
        while at < all.num_rows() && background.push(all.slice(at, 500)).await {
            at += 500;
        }
        let error = match background.finish().await {
            Ok((rows, _)) => panic!("{rows} rows written into a full sink"),
            Err(e) => e.to_string(),
        };
        assert!(error.contains("no space left"), "{error}");
    }
}
