//! Tables as one text document per row: CSV (LangChain's `CSVLoader`) and XLSX (Dify's `ExcelLoader`).

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};

use super::{ExtractError, FileKind};

/// CSV: each data row as `"header: value"` lines, both sides trimmed.
///
/// Short rows read as empty values and extra cells are ignored (Python's DictReader would crash).
pub(super) fn csv_rows(text: &str) -> Result<Vec<String>, ExtractError> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).has_headers(true).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| ExtractError::corrupt(FileKind::Csv, e))?.clone();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| ExtractError::corrupt(FileKind::Csv, e))?;
        if record.iter().all(str::is_empty) && record.len() <= 1 {
            continue;
        }
        let lines: Vec<String> = headers
            .iter()
            .enumerate()
            .map(|(i, h)| format!("{}: {}", h.trim(), record.get(i).unwrap_or("").trim()))
            .collect();
        rows.push(lines.join("\n"));
    }
    Ok(rows)
}

/// XLSX: the first non-empty row of the workbook names the columns (for every sheet, as in
/// Dify); each later non-empty row becomes `"header:value;"` pairs for its non-empty cells.
///
/// Dify writes empty cells as `"None"` (Python's `str(None)` slips past its emptiness
/// filter); we leave them out, which is what that filter meant.
///
/// Cells are read one by one and kept sparse: a sheet with one cell at `A1` and one at
/// `XFD1048576` costs two cells, not the dense 16384 × 1048576 grid a `Range` would allocate.
/// The answer is the one the dense grid gives: a sheet's columns run from its leftmost to its
/// rightmost non-empty cell, header columns without a name are `"None"`, and a repeated
/// header keeps its first position and its last value, empty or not (a dict in Dify).
pub(super) fn xlsx_rows(bytes: &[u8]) -> Result<Vec<String>, ExtractError> {
    let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).map_err(corrupt)?;
    let mut header: Option<Header> = None;
    let mut rows = Vec::new();
    for name in workbook.sheet_names() {
        let cells = sheet_cells(&mut workbook, &name)?;
        let (Some(first_col), Some(last_col)) = (cells.iter().map(|c| c.1).min(), cells.iter().map(|c| c.1).max())
        else {
            continue;
        };
        let width = (last_col - first_col).saturating_add(1);
        let mut sheet_rows = cells.chunk_by(|a, b| a.0 == b.0);
        if header.is_none() {
            let Some(first) = sheet_rows.next() else { continue };
            let names = first.iter().filter_map(|(_, col, cell)| Some((col - first_col, cell_text(cell)?))).collect();
            header = Some(Header { width, names });
        }
        let Some(header) = &header else { continue };
        let keys = Keys::new(header, header.width.min(width));
        for row in sheet_rows {
            // A key's value comes from its last column; its place from its first.
            let mut pairs: Vec<(u32, &str, String)> = row
                .iter()
                .filter_map(|(_, col, cell)| {
                    let offset = col - first_col;
                    let (first, last, key) = keys.span(offset)?;
                    (last == offset).then_some(())?;
                    Some((first, key, cell_text(cell)?))
                })
                .collect();
            pairs.sort_by_key(|p| p.0);
            rows.push(pairs.into_iter().map(|(_, k, v)| format!("{k}:{v};")).collect());
        }
    }
    Ok(rows)
}

/// A sheet's non-empty cells as `(row, column, value)`, sorted by row, then column.
fn sheet_cells(workbook: &mut Xlsx<Cursor<&[u8]>>, name: &str) -> Result<Vec<(u32, u32, Data)>, ExtractError> {
    let mut reader = match workbook.worksheet_cells_reader(name) {
        Ok(reader) => reader,
        // Chart sheets and the like have no cells.
        Err(calamine::XlsxError::NotAWorksheet(_)) => return Ok(Vec::new()),
        Err(e) => return Err(corrupt(e)),
    };
    let mut cells = Vec::new();
    while let Some(cell) = reader.next_cell().map_err(corrupt)? {
        let (row, col) = cell.get_position();
        let value = Data::from(cell.get_value().clone());
        if !matches!(value, Data::Empty) {
            cells.push((row, col, value));
        }
    }
    // Stable: of two cells at one place, the later one is kept, as a grid would.
    cells.sort_by_key(|c| (c.0, c.1));
    cells.dedup_by(|later, earlier| {
        let same = (later.0, later.1) == (earlier.0, earlier.1);
        if same {
            std::mem::swap(later, earlier);
        }
        same
    });
    Ok(cells)
}

/// The header row: its width (the columns of its sheet) and its named columns by offset.
struct Header {
    width: u32,
    names: Vec<(u32, String)>,
}

/// For a sheet's rows: each column offset's key with the first and last offset that key has.
struct Keys<'h> {
    limit: u32,
    names: std::collections::HashMap<u32, &'h str>,
    spans: std::collections::HashMap<&'h str, (u32, u32)>,
}

impl<'h> Keys<'h> {
    /// Keys of the first `limit` offsets (the header's and the sheet's common width).
    fn new(header: &'h Header, limit: u32) -> Self {
        let names: std::collections::HashMap<u32, &str> =
            header.names.iter().filter(|(o, _)| *o < limit).map(|(o, n)| (*o, n.as_str())).collect();
        let mut spans: std::collections::HashMap<&str, (u32, u32)> = std::collections::HashMap::new();
        let mut widen = |key: &'h str, offset: u32| {
            let span = spans.entry(key).or_insert((offset, offset));
            span.0 = span.0.min(offset);
            span.1 = span.1.max(offset);
        };
        for (offset, name) in &names {
            widen(name, *offset);
        }
        // Unnamed columns are all "None": only the first and the last of them matter.
        if let Some(first) = (0..limit).find(|o| !names.contains_key(o)) {
            widen("None", first);
        }
        if let Some(last) = (0..limit).rev().find(|o| !names.contains_key(o)) {
            widen("None", last);
        }
        Self { limit, names, spans }
    }

    /// `(first, last, key)` of the key at `offset`; None past the header's width.
    fn span(&self, offset: u32) -> Option<(u32, u32, &'h str)> {
        let key = match self.names.get(&offset) {
            Some(name) => *name,
            None => "None",
        };
        if offset >= self.limit {
            return None;
        }
        let (first, last) = *self.spans.get(key)?;
        Some((first, last, key))
    }
}

/// A cell as openpyxl's value would print in Python; `None` for empty cells.
fn cell_text(cell: &Data) -> Option<String> {
    match cell {
        Data::Empty => None,
        Data::String(s) => (!s.is_empty()).then(|| s.clone()),
        Data::Int(i) => Some(i.to_string()),
        // openpyxl reads "1" as an int, so whole numbers print without ".0".
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => Some(format!("{}", *f as i64)),
        Data::Float(f) => Some(f.to_string()),
        Data::Bool(b) => Some(if *b { "True" } else { "False" }.into()),
        Data::DateTime(dt) => Some(match dt.as_datetime() {
            Some(at) => at.format("%Y-%m-%d %H:%M:%S").to_string(),
            None => dt.as_f64().to_string(),
        }),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Some(s.clone()),
        Data::Error(e) => Some(e.to_string()),
    }
}

fn corrupt(e: impl std::fmt::Display) -> ExtractError {
    ExtractError::corrupt(FileKind::Xlsx, e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::docx::tests::zip_of;

    #[test]
    fn csv_rows_as_header_value_lines() {
        let csv = "name , age,city\n Alice, 30 ,Paris\n\nBob,41\n\"Multi\nline\",5,\"Rome, IT\",extra\n";
        assert_eq!(
            csv_rows(csv).expect("csv"),
            vec![
                "name: Alice\nage: 30\ncity: Paris",
                "name: Bob\nage: 41\ncity: ",
                "name: Multi\nline\nage: 5\ncity: Rome, IT",
            ]
        );
        assert_eq!(csv_rows("only,headers\n").expect("csv"), Vec::<String>::new());
    }

    /// A two-sheet workbook written as raw SpreadsheetML: shared strings, numbers, a boolean,
    /// an empty cell, a leading empty row, and a second sheet whose rows reuse sheet 1's header.
    fn workbook() -> Vec<u8> {
        let ct = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/worksheets/sheet2.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"#;
        let rels = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
        let wb = r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="One" sheetId="1" r:id="rId1"/><sheet name="Two" sheetId="2" r:id="rId2"/></sheets></workbook>"#;
        let wb_rels = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet2.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#;
        let sst = r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="5" uniqueCount="5"><si><t>Name</t></si><si><t>Score</t></si><si><t>Ok</t></si><si><t>Ann</t></si><si><t>Ben</t></si></sst>"#;
        let sheet = |rows: &str| {
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{rows}</sheetData></worksheet>"#
            )
        };
        let one = sheet(
            r#"<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2" t="s"><v>1</v></c><c r="C2" t="s"><v>2</v></c></row><row r="3"><c r="A3" t="s"><v>3</v></c><c r="B3"><v>12</v></c><c r="C3" t="b"><v>1</v></c></row><row r="4"><c r="A4" t="s"><v>4</v></c><c r="B4"><v>7.25</v></c></row>"#,
        );
        let two = sheet(r#"<row r="1"><c r="A1" t="inlineStr"><is><t>Cy</t></is></c><c r="B1"><v>3</v></c></row>"#);
        zip_of(&[
            ("[Content_Types].xml", ct.into()),
            ("_rels/.rels", rels.into()),
            ("xl/workbook.xml", wb.into()),
            ("xl/_rels/workbook.xml.rels", wb_rels.into()),
            ("xl/sharedStrings.xml", sst.into()),
            ("xl/worksheets/sheet1.xml", one),
            ("xl/worksheets/sheet2.xml", two),
        ])
    }

    #[test]
    fn xlsx_rows_as_key_value_pairs() {
        assert_eq!(
            xlsx_rows(&workbook()).expect("xlsx"),
            vec!["Name:Ann;Score:12;Ok:True;", "Name:Ben;Score:7.25;", "Name:Cy;Score:3;"]
        );
    }

    #[test]
    fn not_a_workbook() {
        assert!(matches!(xlsx_rows(&zip_of(&[("a.txt", "x".into())])), Err(ExtractError::Corrupt { .. })));
    }
}
