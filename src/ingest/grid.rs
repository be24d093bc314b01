//! A sheet as a grid of typed cells in the sheet's real coordinates, with merged regions
//! resolved: the common ground every file format is read into before measures are found.

use chrono::NaiveDate;

/// A cell's value, independent of the file format it came from.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    #[default]
    Empty,
    Text(String),
    Number(f64),
    Date(NaiveDate),
    Bool(bool),
    /// A formula error such as `#N/A`: read as empty, with a warning.
    Error(String),
}

impl Value {
    /// True when the cell holds nothing a person typed (errors count as content here,
    /// so that they are reported).
    pub fn is_empty(&self) -> bool {
        match self {
            Value::Empty => true,
            Value::Text(t) => t.trim().is_empty(),
            _ => false,
        }
    }

    /// Classifies a text cell that holds an Excel error literal (as CSV exports write it).
    pub fn from_text(text: String) -> Value {
        match text.trim() {
            "#N/A" | "#REF!" | "#DIV/0!" | "#VALUE!" | "#NAME?" | "#NUM!" | "#NULL!" => {
                Value::Error(text.trim().to_string())
            }
            _ => Value::Text(text),
        }
    }
}

/// Cuts `text` to its first `max` characters, returning how many it had when it was cut:
/// no cell keeps more than `limits.cell_chars` (Excel's own limit), so one huge cell cannot
/// blow up every document it is written into.
pub fn cut_text(text: &mut String, max: usize) -> Option<usize> {
    // No more bytes than `max` means no more characters: most cells end here.
    if text.len() <= max {
        return None;
    }
    let (at, _) = text.char_indices().nth(max)?;
    let had = max + text[at..].chars().count();
    text.truncate(at);
    Some(had)
}

/// A rectangular region of merged cells, 0-based and inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    pub start: (u32, u32),
    pub end: (u32, u32),
}

/// One cell of the grid after merges are resolved.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Slot {
    pub value: Value,
    /// The top-left cell of the merged region this cell belongs to, if any.
    pub merged_from: Option<(u32, u32)>,
}

impl Slot {
    /// True when the value was typed into this cell, not copied from a merged region.
    pub fn is_own(&self, at: (u32, u32)) -> bool {
        self.merged_from.is_none_or(|from| from == at)
    }
}

/// Merged regions would resolve to more row spans than a sheet may hold cells: the
/// caller names the file and the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooManySpans;

/// A run of columns of one row covered by a merged region.
#[derive(Debug, Clone, PartialEq)]
struct Span {
    start: u32,
    end: u32,
    /// Index into `Grid::anchors`.
    anchor: usize,
}

/// One row that holds at least one cell, with its cells sorted by column.
#[derive(Debug, Clone, PartialEq, Default)]
struct Row {
    index: u32,
    cells: Vec<(u32, Slot)>,
    /// Columns covered by merged regions, sorted by start, never overlapping.
    spans: Vec<Span>,
}

/// A sheet's cells, sparse, in the sheet's real coordinates, with merged regions
/// resolved. Only cells that hold something are stored, so a value in the last cell of a
/// sheet (XFD1048576) costs one cell, not the rectangle up to it; a merged region costs one
/// span per stored row it covers, never a copy per cell.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Grid {
    pub name: Option<String>,
    pub hidden: bool,
    /// Real (0-based) numbers of rows hidden in the spreadsheet (read like the others).
    pub hidden_rows: Vec<u32>,
    /// Cells whose text was cut to `limits.cell_chars`: (row, column), the characters it
    /// had, the characters kept.
    pub cut_cells: Vec<((u32, u32), usize, usize)>,
    rows: Vec<Row>,
    /// The slot every cell of a merged region reads as, one per distinct top-left cell.
    anchors: Vec<Slot>,
    first_col: u32,
    col_end: u32,
}

impl Grid {
    /// Builds a grid from dense rows starting at `origin` (CSV, tests); empty values are
    /// not stored.
    pub fn new(
        name: Option<String>,
        hidden: bool,
        origin: (u32, u32),
        rows: Vec<Vec<Value>>,
        merges: &[Region],
    ) -> Grid {
        let cells = rows
            .into_iter()
            .enumerate()
            .flat_map(|(r, line)| {
                line.into_iter().enumerate().map(move |(c, v)| {
                    (
                        (
                            origin.0.saturating_add(r as u32),
                            origin.1.saturating_add(c as u32),
                        ),
                        v,
                    )
                })
            })
            .collect();
        // Without a bound on spans: callers of this form pass small, made-up grids.
        Grid::from_cells(name, hidden, cells, merges, u64::MAX).unwrap_or_default()
    }

    /// Builds a grid from cells in any order (a later duplicate of a position wins) and
    /// merged regions. `max_spans` bounds the row spans merged regions may resolve to,
    /// since overlapping or repeated regions in a hostile file could otherwise ask for
    /// billions.
    pub fn from_cells(
        name: Option<String>,
        hidden: bool,
        mut cells: Vec<((u32, u32), Value)>,
        merges: &[Region],
        max_spans: u64,
    ) -> Result<Grid, TooManySpans> {
        cells.retain(|(_, v)| *v != Value::Empty);
        // Stable: equal positions keep their order, and the last one is kept below.
        cells.sort_by_key(|(at, _)| *at);
        let mut rows: Vec<Row> = Vec::new();
        let (mut first_col, mut col_end) = (u32::MAX, 0u32);
        for ((r, c), value) in cells {
            first_col = first_col.min(c);
            col_end = col_end.max(c.saturating_add(1));
            let slot = Slot {
                value,
                merged_from: None,
            };
            match rows.last_mut() {
                Some(row) if row.index == r => match row.cells.last_mut() {
                    Some((col, last)) if *col == c => *last = slot,
                    _ => row.cells.push((c, slot)),
                },
                _ => rows.push(Row {
                    index: r,
                    cells: vec![(c, slot)],
                    spans: Vec::new(),
                }),
            }
        }
        let mut grid = Grid {
            name,
            hidden,
            hidden_rows: Vec::new(),
            cut_cells: Vec::new(),
            rows,
            anchors: Vec::new(),
            first_col: if first_col == u32::MAX { 0 } else { first_col },
            col_end,
        };
        grid.apply_merges(merges, max_spans)?;
        Ok(grid)
    }

    /// Records each merged region as spans on the stored rows it covers. Regions are
    /// deduplicated first; where regions overlap (never in a sound file), the one
    /// starting further left in a row wins.
    fn apply_merges(&mut self, merges: &[Region], max_spans: u64) -> Result<(), TooManySpans> {
        let mut regions: Vec<Region> = merges
            .iter()
            .filter(|m| m.start.0 <= m.end.0 && m.start.1 <= m.end.1)
            .copied()
            .collect();
        regions.sort_by_key(|m| (m.start, m.end));
        regions.dedup();
        let mut anchor_of: std::collections::HashMap<(u32, u32), usize> =
            std::collections::HashMap::new();
        let mut spans = 0u64;
        for region in regions {
            let first = self.rows.partition_point(|r| r.index < region.start.0);
            let last = self.rows.partition_point(|r| r.index <= region.end.0);
            if first >= last {
                continue;
            }
            let anchor = match anchor_of.get(&region.start) {
                Some(a) => *a,
                None => {
                    let value = self.own(region.start.0, region.start.1).cloned();
                    self.anchors.push(Slot {
                        value: value.unwrap_or_default(),
                        merged_from: Some(region.start),
                    });
                    anchor_of.insert(region.start, self.anchors.len() - 1);
                    self.anchors.len() - 1
                }
            };
            spans = spans.saturating_add((last - first) as u64);
            if spans > max_spans {
                return Err(TooManySpans);
            }
            for row in &mut self.rows[first..last] {
                row.spans.push(Span {
                    start: region.start.1,
                    end: region.end.1,
                    anchor,
                });
            }
        }
        for row in &mut self.rows {
            if row.spans.len() > 1 {
                row.spans.sort_by_key(|s| s.start);
                let mut kept: Vec<Span> = Vec::with_capacity(row.spans.len());
                for span in row.spans.drain(..) {
                    if kept.last().is_none_or(|k| span.start > k.end) {
                        kept.push(span);
                    }
                }
                row.spans = kept;
            }
        }
        Ok(())
    }

    fn row(&self, row: u32) -> Option<&Row> {
        self.rows
            .binary_search_by_key(&row, |r| r.index)
            .ok()
            .map(|i| &self.rows[i])
    }

    /// The value typed into a cell, ignoring merges.
    fn own(&self, row: u32, col: u32) -> Option<&Value> {
        let line = self.row(row)?;
        line.cells
            .binary_search_by_key(&col, |(c, _)| *c)
            .ok()
            .map(|i| &line.cells[i].1.value)
    }

    /// The merged region's slot covering a cell of a row, if any.
    fn span_slot(&self, line: &Row, col: u32) -> Option<&Slot> {
        let i = line.spans.partition_point(|s| s.start <= col);
        let span = line.spans.get(i.checked_sub(1)?)?;
        (col <= span.end).then(|| &self.anchors[span.anchor])
    }

    /// The cell at a real (row, column); an empty slot where nothing is stored.
    pub fn get(&self, row: u32, col: u32) -> &Slot {
        static EMPTY: Slot = Slot {
            value: Value::Empty,
            merged_from: None,
        };
        let Some(line) = self.row(row) else {
            return &EMPTY;
        };
        if let Some(slot) = self.span_slot(line, col) {
            return slot;
        }
        line.cells
            .binary_search_by_key(&col, |(c, _)| *c)
            .map(|i| &line.cells[i].1)
            .unwrap_or(&EMPTY)
    }

    /// The real numbers of the rows that hold a cell, top to bottom.
    pub fn row_numbers(&self) -> impl Iterator<Item = u32> + '_ {
        self.rows.iter().map(|r| r.index)
    }

    /// The cells of a row that hold a value of their own (a merged region's top-left cell
    /// included, the cells it covers not), left to right.
    pub fn own_cells(&self, row: u32) -> impl Iterator<Item = (u32, &Slot)> + '_ {
        self.row(row)
            .into_iter()
            .flat_map(move |line| {
                line.cells.iter().map(move |(c, slot)| {
                    let slot = self.span_slot(line, *c).unwrap_or(slot);
                    (*c, slot)
                })
            })
            .filter(move |(c, slot)| slot.is_own((row, *c)))
    }

    /// True when no cell holds anything a person typed.
    pub fn is_blank(&self) -> bool {
        self.rows
            .iter()
            .all(|r| r.cells.iter().all(|(_, s)| s.value.is_empty()))
    }

    /// One past the last row that holds a cell.
    pub fn row_end(&self) -> u32 {
        self.rows.last().map_or(0, |r| r.index.saturating_add(1))
    }

    /// The leftmost column any cell is in.
    pub fn first_col(&self) -> u32 {
        self.first_col
    }

    /// One past the last real column any row reaches.
    pub fn col_end(&self) -> u32 {
        self.col_end
    }

    /// How many cells are stored.
    pub fn cell_count(&self) -> usize {
        self.rows.iter().map(|r| r.cells.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_values_fill_their_region() {
        let rows = vec![
            vec![Value::Text("类别".into()), Value::Empty, Value::Empty],
            vec![Value::Empty, Value::Empty, Value::Text("1".into())],
        ];
        let grid = Grid::new(
            None,
            false,
            (4, 1),
            rows,
            &[Region {
                start: (4, 1),
                end: (6, 2),
            }],
        );
        assert_eq!(grid.get(5, 2).value, Value::Text("类别".into()));
        // Only cells that hold a value are stored; the region is spans, not copies.
        assert_eq!(grid.cell_count(), 2);
        // A row that holds nothing of its own is not stored, merged or not.
        assert_eq!(grid.get(6, 1).value, Value::Empty);
        assert!(grid.get(4, 1).is_own((4, 1)));
        assert!(!grid.get(5, 1).is_own((5, 1)));
        assert_eq!(grid.get(0, 0).value, Value::Empty);
    }

    #[test]
    fn a_whole_sheet_merge_is_clipped_to_the_data() {
        let rows = vec![vec![Value::Text("x".into()), Value::Empty]; 3];
        let whole = Region {
            start: (0, 0),
            end: (1_048_575, 16_383),
        };
        let grid = Grid::new(None, false, (0, 0), rows, &[whole]);
        assert_eq!(grid.row_numbers().count(), 3);
        assert_eq!(grid.col_end(), 1);
        assert_eq!(grid.get(2, 1).value, Value::Text("x".into()));
        assert_eq!(grid.get(2, 16_000).value, Value::Text("x".into()));
        // Only the top-left cell is the sheet's own.
        assert_eq!(grid.own_cells(0).count(), 1);
        assert_eq!(grid.own_cells(2).count(), 0);
    }

    #[test]
    fn the_last_cell_of_a_sheet_costs_one_cell() {
        let cells = vec![
            ((0, 0), Value::Text("a".into())),
            ((1_048_575, 16_383), Value::Text("z".into())),
        ];
        let grid = Grid::from_cells(None, false, cells, &[], 10).unwrap();
        assert_eq!(grid.cell_count(), 2);
        assert_eq!(grid.row_end(), 1_048_576);
        assert_eq!(grid.get(1_048_575, 16_383).value, Value::Text("z".into()));
    }

    #[test]
    fn repeated_merges_cost_one_span_and_too_many_are_refused() {
        let cells = (0..3).map(|r| ((r, 0), Value::Text("x".into()))).collect();
        let region = Region {
            start: (0, 0),
            end: (2, 5),
        };
        let grid = Grid::from_cells(None, false, cells, &vec![region; 20_000], 3).unwrap();
        assert_eq!(grid.get(1, 4).value, Value::Text("x".into()));
        let cells = (0..3).map(|r| ((r, 0), Value::Text("x".into()))).collect();
        let other = Region {
            start: (0, 1),
            end: (2, 5),
        };
        assert_eq!(
            Grid::from_cells(None, false, cells, &[region, other], 5),
            Err(TooManySpans)
        );
    }

    #[test]
    fn cuts_text_by_characters() {
        let mut t = "安全".repeat(10);
        assert_eq!(cut_text(&mut t, 5), Some(20));
        assert_eq!(t, "安全安全安");
        let mut short = "ab".to_string();
        assert_eq!(cut_text(&mut short, 5), None);
    }
}
