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

/// A sheet's cells from its real A1 (or from `origin`, when leading rows/columns are
/// empty), dense, with merged-region values copied into every cell of their region.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Grid {
    pub name: Option<String>,
    pub hidden: bool,
    /// Real (0-based) numbers of rows hidden in the spreadsheet (read like the others).
    pub hidden_rows: Vec<u32>,
    /// Real (row, column) of `rows[0][0]`.
    pub origin: (u32, u32),
    pub rows: Vec<Vec<Slot>>,
    /// One past the last real column any row reaches (computed once: rows are scanned
    /// per row, and a rescan each time would make reading quadratic).
    col_end: u32,
}

impl Grid {
    /// Builds a grid from sparse cells (real coordinates) and merged regions.
    pub fn new(
        name: Option<String>,
        hidden: bool,
        origin: (u32, u32),
        rows: Vec<Vec<Value>>,
        merges: &[Region],
    ) -> Grid {
        let mut grid = Grid {
            name,
            hidden,
            hidden_rows: Vec::new(),
            origin,
            rows: rows
                .into_iter()
                .map(|r| {
                    r.into_iter()
                        .map(|value| Slot {
                            value,
                            merged_from: None,
                        })
                        .collect()
                })
                .collect(),
            col_end: 0,
        };
        grid.col_end = origin.1 + grid.rows.iter().map(Vec::len).max().unwrap_or(0) as u32;
        for region in merges {
            grid.apply_merge(*region);
        }
        grid
    }

    /// Copies a merged region's value into its cells. The region is clipped to the cells
    /// the sheet uses: a merge may name a whole column (E1:E1048576), and only the rows and
    /// columns that hold data matter.
    fn apply_merge(&mut self, region: Region) {
        let value = self.get(region.start.0, region.start.1).value.clone();
        let rows = self.origin.0..self.origin.0 + self.rows.len() as u32;
        let cols = self.origin.1..self.col_end();
        let r0 = region.start.0.max(rows.start);
        let r1 = region.end.0.min(rows.end.saturating_sub(1));
        let c0 = region.start.1.max(cols.start);
        let c1 = region.end.1.min(cols.end.saturating_sub(1));
        if r0 > r1 || c0 > c1 || rows.is_empty() || cols.is_empty() {
            return;
        }
        for r in r0..=r1 {
            let line = &mut self.rows[(r - self.origin.0) as usize];
            let width = (c1 - self.origin.1) as usize + 1;
            if line.len() < width {
                line.resize(width, Slot::default());
            }
            for c in c0..=c1 {
                let slot = &mut line[(c - self.origin.1) as usize];
                slot.value = value.clone();
                slot.merged_from = Some(region.start);
            }
        }
    }

    /// The cell at a real (row, column); an empty slot outside the grid.
    pub fn get(&self, row: u32, col: u32) -> &Slot {
        static EMPTY: Slot = Slot {
            value: Value::Empty,
            merged_from: None,
        };
        let (Some(r), Some(c)) = (
            row.checked_sub(self.origin.0),
            col.checked_sub(self.origin.1),
        ) else {
            return &EMPTY;
        };
        self.rows
            .get(r as usize)
            .and_then(|line| line.get(c as usize))
            .unwrap_or(&EMPTY)
    }

    /// The real row numbers of the grid, top to bottom.
    pub fn row_range(&self) -> std::ops::Range<u32> {
        self.origin.0..self.origin.0 + self.rows.len() as u32
    }

    /// One past the last real column any row reaches.
    pub fn col_end(&self) -> u32 {
        self.col_end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_values_fill_their_region() {
        let rows = vec![
            vec![Value::Text("类别".into()), Value::Empty],
            vec![Value::Empty, Value::Empty],
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
        // Clipped to the rows that hold data: nothing is made up below them.
        assert_eq!(grid.rows.len(), 2);
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
        assert_eq!(grid.rows.len(), 3);
        assert_eq!(grid.col_end(), 2);
        assert_eq!(grid.get(2, 1).value, Value::Text("x".into()));
    }
}
