//! The fields a measure sheet can have and the header texts that name them, in Simplified
//! Chinese, Traditional Chinese (folded to Simplified before matching) and English.

use super::normalize::header_key;
use std::collections::HashMap;
use std::sync::LazyLock;

/// A known column of a measure sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    Id,
    Measure,
    Set,
    Category,
    Owner,
    Supporting,
    Contact,
    Status,
    Progress,
    Deadline,
    Evidence,
    EvidenceReady,
    Check,
    Site,
    Box,
    Weight,
    Veto,
    Notes,
}

/// Each field with its synonyms, as the spec lists them.
#[rustfmt::skip]
pub const SYNONYMS: &[(Field, &str, &[&str])] = &[
    (Field::Id, "id", &["序号", "编号", "条款", "条款号", "条目", "项目编号", "序列", "id", "no", "no.", "number", "item", "clause"]),
    (Field::Measure, "measure", &["措施内容", "措施", "具体措施", "工作措施", "硬措施", "措施原文", "工作任务", "任务内容", "重点任务", "工作内容", "考核内容", "考核事项", "measure", "requirement", "task", "control", "description"]),
    (Field::Set, "set", &["来源", "措施来源", "所属清单", "文件依据", "依据", "set", "source", "framework"]),
    (Field::Category, "category", &["类别", "分类", "板块", "类型", "领域", "方面", "category", "area", "domain", "section"]),
    (Field::Owner, "owner", &["责任单位", "牵头单位", "责任部门", "牵头部门", "责任主体", "owner", "lead", "responsible"]),
    (Field::Supporting, "supporting", &["配合单位", "协办单位", "配合部门", "supporting", "co-owner", "co-owners"]),
    (Field::Contact, "contact", &["责任人", "联系人", "contact", "assignee"]),
    (Field::Status, "status", &["落实情况", "完成情况", "进展情况", "状态", "落实状态", "完成状态", "进度", "status", "state", "implementation status"]),
    (Field::Progress, "progress", &["进展说明", "工作进展", "具体落实情况", "情况说明", "落实举措", "progress", "comment"]),
    (Field::Deadline, "deadline", &["完成时限", "时限", "完成时间", "时间节点", "截止时间", "截止日期", "deadline", "due", "due date"]),
    (Field::Evidence, "evidence", &["佐证材料", "佐证材料清单", "备查资料", "支撑材料", "证明材料", "所需材料", "迎检材料", "evidence", "evidence required", "artifacts"]),
    (Field::EvidenceReady, "evidence_ready", &["已备材料", "已提供材料", "材料准备情况", "evidence ready", "evidence provided"]),
    (Field::Check, "check", &["检查方式", "核查方式", "考核方式", "check", "verification"]),
    (Field::Site, "site", &["现场点位", "检查点位", "site", "location"]),
    (Field::Box, "box", &["资料盒号", "档案盒号", "文件夹号", "box", "folder"]),
    (Field::Weight, "weight", &["分值", "权重", "标准分值", "weight", "points"]),
    (Field::Veto, "veto", &["一票否决", "否决项", "veto"]),
    (Field::Notes, "notes", &["备注", "说明", "notes", "remarks"]),
];

static BY_KEY: LazyLock<HashMap<String, Field>> = LazyLock::new(|| {
    let mut map = HashMap::new();
    for (field, _, synonyms) in SYNONYMS {
        for s in *synonyms {
            map.insert(header_key(s), *field);
        }
    }
    map
});

/// The field a header cell names, if any.
pub fn match_header(text: &str) -> Option<Field> {
    BY_KEY.get(&header_key(text)).copied()
}

impl Field {
    /// The field's contract name (`evidence_ready`, …).
    pub fn name(self) -> &'static str {
        SYNONYMS
            .iter()
            .find(|(f, _, _)| *f == self)
            .map(|(_, n, _)| *n)
            .unwrap_or("?")
    }

    /// A few of the header texts that name this field, for hints.
    pub fn synonyms_hint(self) -> String {
        SYNONYMS
            .iter()
            .find(|(f, _, _)| *f == self)
            .map(|(_, _, s)| s.join(", "))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_names_the_same_field() {
        assert_eq!(match_header("落实情况"), Some(Field::Status));
        assert_eq!(match_header("落實情況"), Some(Field::Status));
        assert_eq!(match_header("Implementation Status"), Some(Field::Status));
        assert_eq!(match_header("序號"), Some(Field::Id));
        assert_eq!(match_header("No."), Some(Field::Id));
        assert_eq!(match_header("措施內容"), Some(Field::Measure));
        assert_eq!(match_header("責任單位"), Some(Field::Owner));
        assert_eq!(match_header("佐證材料"), Some(Field::Evidence));
        assert_eq!(match_header("完成時限（年月日）"), Some(Field::Deadline));
        assert_eq!(match_header("Co-Owners"), Some(Field::Supporting));
        assert_eq!(match_header("检查人员"), None);
    }
}
