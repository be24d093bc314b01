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
        };
        for region in merges {
            grid.apply_merge(*region);
        }
        grid
    }

    fn apply_merge(&mut self, region: Region) {
        let value = self.get(region.start.0, region.start.1).value.clone();
        for r in region.start.0..=region.end.0 {
            for c in region.start.1..=region.end.1 {
                if let Some(slot) = self.slot_mut(r, c) {
                    slot.value = value.clone();
                    slot.merged_from = Some(region.start);
                }
            }
        }
    }

    fn slot_mut(&mut self, row: u32, col: u32) -> Option<&mut Slot> {
        let (r, c) = (
            row.checked_sub(self.origin.0)?,
            col.checked_sub(self.origin.1)?,
        );
        if r as usize >= self.rows.len() {
            // Merged regions may reach below the last typed row.
            if r >= 1_048_576 {
                return None;
            }
            self.rows.resize(r as usize + 1, Vec::new());
        }
        let line = self.rows.get_mut(r as usize)?;
        let width = c as usize + 1;
        if line.len() < width {
            // Merged regions may reach past the last typed cell of a row.
            if width > 16_384 {
                return None;
            }
            line.resize(width, Slot::default());
        }
        line.get_mut(c as usize)
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
        self.origin.1 + self.rows.iter().map(Vec::len).max().unwrap_or(0) as u32
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
        assert_eq!(grid.get(6, 2).value, Value::Text("类别".into()));
        assert!(grid.get(4, 1).is_own((4, 1)));
        assert!(!grid.get(5, 1).is_own((5, 1)));
        assert_eq!(grid.get(0, 0).value, Value::Empty);
    }
}
