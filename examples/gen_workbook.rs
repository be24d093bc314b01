//! Generates a large, realistic measure workbook for benchmarking `dossier`.
//!
//! ```sh
//! cargo run --release --example gen_workbook -- OUT.xlsx [--sets 50] [--per-set 100] [--departments 16]
//! ```
//!
//! One sheet per measure set (清单01, 清单02, …) after a 填表说明 sheet, each with a title
//! row merged across the table, the full column set of `docs/workbook.md`, a category merged
//! down over each block of rows, and a deterministic mix of what offices really type:
//! statuses with trailing remarks, date cells and text deadlines (2026年12月底前, 长期坚持),
//! numbered multi-line evidence lists, partial "已备材料" lists, weights as numbers and as
//! text, and a few cells that draw warnings (unknown statuses, deadlines without a year).
//! The output is byte-identical for the same arguments: a fixed-seed LCG drives every choice
//! and the document's creation time is fixed.

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, Workbook, XlsxError};
use std::process::ExitCode;

/// The columns, in order, exactly as the header row writes them.
const HEADERS: [&str; 17] = [
    "序号",
    "类别",
    "措施内容",
    "牵头单位",
    "配合单位",
    "责任人",
    "落实情况",
    "进展说明",
    "完成时限",
    "佐证材料",
    "已备材料",
    "检查方式",
    "现场点位",
    "资料盒号",
    "分值",
    "一票否决",
    "备注",
];

const CATEGORIES: &[&str] = &[
    "强化安全生产责任落实",
    "深化重点行业领域专项整治",
    "严格安全执法检查",
    "夯实基层基础",
    "提升应急救援能力",
    "加强宣传教育培训",
    "推进风险分级管控和隐患排查治理",
    "强化消防安全管理",
    "加强道路交通安全管理",
    "规范危险化学品安全管理",
];

const TOPICS: &[&str] = &[
    "危险化学品",
    "燃气使用",
    "烟花爆竹",
    "动火作业",
    "有限空间",
    "建筑施工",
    "道路交通",
    "特种设备",
    "消防安全",
    "仓储物流",
    "工贸企业",
    "人员密集场所",
    "校园周边",
    "旅游景区",
    "出租屋",
    "电动自行车",
    "三小场所",
    "农村自建房",
    "水上交通",
    "森林防火",
];

const ACTIONS: &[&str] = &[
    "严格落实企业主体责任，督促企业主要负责人履行第一责任人职责",
    "每季度组织一次全覆盖排查，形成排查台账并跟踪销号",
    "加大执法检查力度，依法查处违法违规行为并公开曝光",
    "严格执行审批和现场监护制度，违规作业一律停工整顿",
    "落实“四级督导机制”，对重点企业实行一对一盯防",
    "组织开展安全培训和应急演练，提高从业人员自救逃生能力",
    "加强宣传引导，向群众普及安全知识",
    "建立健全隐患排查治理长效机制，实行清单化、闭环式管理",
    "开展打非治违专项行动，严厉打击非法违法生产经营建设行为",
    "完善应急预案，配齐应急物资装备，确保拉得出、用得上",
    "推动安全生产标准化建设，年内达标率不低于90%",
    "对重大事故隐患实行挂牌督办，逾期未整改的依法责令停产停业",
    "落实网格化管理，将安全监管责任落实到村（社区）和网格员",
    "开展“安全生产月”和“119消防宣传月”活动，覆盖辖区全部企业",
];

const UNITS: &[&str] = &[
    "应急管理办",
    "安监中队",
    "综合行政执法办",
    "公安分局",
    "消防救援所",
    "市场监管分局",
    "交通运输分局",
    "住房城乡建设办",
    "经济发展局",
    "社会事务局",
    "宣传教育文体办",
    "工业园区管理办",
    "自然资源所",
    "生态环境分局",
    "党政办",
    "各村（社区）",
];

/// Ordinals for village names.
const CN_NUMBERS: [&str; 50] = [
    "一",
    "二",
    "三",
    "四",
    "五",
    "六",
    "七",
    "八",
    "九",
    "十",
    "十一",
    "十二",
    "十三",
    "十四",
    "十五",
    "十六",
    "十七",
    "十八",
    "十九",
    "二十",
    "二十一",
    "二十二",
    "二十三",
    "二十四",
    "二十五",
    "二十六",
    "二十七",
    "二十八",
    "二十九",
    "三十",
    "三十一",
    "三十二",
    "三十三",
    "三十四",
    "三十五",
    "三十六",
    "三十七",
    "三十八",
    "三十九",
    "四十",
    "四十一",
    "四十二",
    "四十三",
    "四十四",
    "四十五",
    "四十六",
    "四十七",
    "四十八",
    "四十九",
    "五十",
];

const PEOPLE: &[&str] = &[
    "张伟",
    "王建国",
    "李晓红",
    "陈志强",
    "林海鹏",
    "刘芳",
    "黄国华",
    "周敏",
    "吴俊杰",
    "郑丽娟",
];

const EVIDENCE: &[&str] = &[
    "工作方案",
    "会议纪要",
    "通报文件",
    "责任书",
    "检查记录",
    "整改台账",
    "执法文书",
    "现场照片",
    "培训签到表",
    "演练记录",
    "宣传资料",
    "值班表",
    "隐患排查台账",
    "应急预案",
    "考核结果通报",
];

/// Status texts with relative weights: the usual terms, remarks after a term, Traditional
/// forms, blanks and a few that no term matches.
const STATUSES: &[(&str, u32)] = &[
    ("已完成", 22),
    ("已落实", 10),
    ("已完成。已召开专题会议并印发方案", 5),
    ("已落实，常态化督导检查", 3),
    ("已整改", 3),
    ("常态化开展", 5),
    ("持续推进", 5),
    ("长期坚持", 3),
    ("推进中", 8),
    ("正在整改", 4),
    ("部分落实", 4),
    ("基本完成", 4),
    ("序时推进", 3),
    ("未启动", 4),
    ("未落实", 3),
    ("滞后", 1),
    ("不适用", 3),
    ("落實", 1),
    ("", 3),
    ("待定", 1),
    ("已完城", 1),
];

const PROGRESS: &[&str] = &[
    "已召开专题会议{n}次，印发《工作方案》，明确责任分工和时间节点。",
    "累计开展检查{n}次，发现隐患{m}处，已整改{k}处，其余正在跟踪督办。",
    "组织培训{n}场，参训人员{m}人次；开展应急演练{k}次。",
    "已完成辖区{n}家企业全覆盖排查，建立一企一档。",
    "联合公安、市场监管等部门开展联合执法{n}次，立案{k}宗，罚款{m}千元。",
    "发放宣传资料{m}份，张贴海报{n}张，微信公众号推送{k}篇。",
    "按月报送进展情况，{n}月份起纳入镇安委会督办事项。",
];

/// A small deterministic linear congruential generator (Knuth's MMIX constants).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as u32
    }

    /// A number in 0..n.
    fn below(&mut self, n: usize) -> usize {
        (self.next() as usize) % n
    }

    /// True with probability `percent`/100.
    fn chance(&mut self, percent: u32) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    fn weighted<'a>(&mut self, items: &[(&'a str, u32)]) -> &'a str {
        let total: u32 = items.iter().map(|(_, w)| w).sum();
        let mut r = self.next() % total;
        for (item, w) in items {
            if r < *w {
                return item;
            }
            r -= w;
        }
        items[0].0
    }

    /// `count` distinct items from `items`, in a random order.
    fn distinct<'a>(&mut self, items: &[&'a str], count: usize) -> Vec<&'a str> {
        let mut pool: Vec<&str> = items.to_vec();
        let mut out = Vec::with_capacity(count);
        for _ in 0..count.min(pool.len()) {
            out.push(pool.swap_remove(self.below(pool.len())));
        }
        out
    }
}

struct Options {
    out: String,
    /// How many lead departments measures are spread over: the 16 of `UNITS`, then
    /// villages (for `split` benchmarks of many departments).
    departments: usize,
    sets: usize,
    per_set: usize,
}

fn parse_args() -> Result<Options, String> {
    let usage = "usage: gen_workbook OUT.xlsx [--sets N] [--per-set N] [--departments N]";
    let mut departments = UNITS.len();
    let mut out = None;
    let mut sets = 50;
    let mut per_set = 100;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<usize, String> {
            args.next()
                .and_then(|v| v.parse::<usize>().ok())
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("{name} needs a positive number; {usage}"))
        };
        match arg.as_str() {
            "--sets" => sets = number("--sets")?,
            "--per-set" => per_set = number("--per-set")?,
            "--departments" => departments = number("--departments")?,
            "-h" | "--help" => return Err(usage.to_string()),
            a if a.starts_with('-') => return Err(format!("unknown flag {a}; {usage}")),
            a if out.is_none() => out = Some(a.to_string()),
            a => return Err(format!("unexpected argument {a}; {usage}")),
        }
    }
    if sets > 999 {
        return Err("--sets is at most 999".into());
    }
    if per_set > 100_000 {
        return Err("--per-set is at most 100000".into());
    }
    if departments > 400 {
        return Err("--departments is at most 400".into());
    }
    Ok(Options {
        out: out.ok_or(usage)?,
        departments,
        sets,
        per_set,
    })
}

/// Fills `{n}`, `{m}` and `{k}` in a progress template with plausible numbers.
fn progress_text(rng: &mut Lcg, template: &str) -> String {
    let n = 1 + rng.below(12);
    let m = 10 + rng.below(400);
    let k = 1 + rng.below(n.max(2));
    template
        .replace("{n}", &n.to_string())
        .replace("{m}", &m.to_string())
        .replace("{k}", &k.to_string())
}

/// A deadline cell: a date (as a date cell or as text in one of the usual forms) or
/// "no deadline" text.
enum DeadlineCell {
    Date(u16, u8, u8),
    Text(String),
    Blank,
}

fn deadline(rng: &mut Lcg) -> DeadlineCell {
    // Around the as-of date the benchmark uses (2026-12-15): some past, some near, some later.
    let (y, m) = match rng.below(10) {
        0..=2 => (2026u16, 9 + rng.below(3) as u8),
        3..=6 => (2026, 12),
        _ => (2027, 1 + rng.below(6) as u8),
    };
    let last = match m {
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    let d = 1 + rng.below(last) as u8;
    match rng.below(100) {
        0..=39 => DeadlineCell::Date(y, m, d),
        40..=51 => DeadlineCell::Text(format!("{y}年{m}月底前")),
        52..=59 => DeadlineCell::Text(format!("{y}-{m:02}-{d:02}")),
        60..=63 => DeadlineCell::Text(format!("{y}/{m}/{d}")),
        64..=68 => DeadlineCell::Text(format!("{y}年{m}月{d}日")),
        69..=72 => DeadlineCell::Text(format!("{y}年底")),
        73..=84 => DeadlineCell::Text("长期坚持".into()),
        85..=88 => DeadlineCell::Text("常态化".into()),
        89..=91 => DeadlineCell::Text(format!("{m}月底前")),
        92 => DeadlineCell::Text(format!("{y}年第{}季度", 1 + rng.below(4))),
        _ => DeadlineCell::Blank,
    }
}

fn numbered(items: &[&str]) -> String {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| format!("{}.{item}", i + 1))
        .collect::<Vec<_>>()
        .join("\n")
}

fn generate(opts: &Options) -> Result<(), XlsxError> {
    let mut rng = Lcg(0x5EED_D055_1E12_2026);
    let mut book = Workbook::new();
    let created = ExcelDateTime::from_ymd(2026, 12, 1)?.and_hms(9, 0, 0)?;
    book.set_properties(
        &DocProperties::new()
            .set_title("清溪镇硬措施落实工作台账（基准测试）")
            .set_author("镇安委办")
            .set_creation_datetime(&created),
    );

    let title_fmt = Format::new()
        .set_bold()
        .set_font_size(16)
        .set_align(FormatAlign::Center);
    let header_fmt = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center);
    let wrap = Format::new().set_text_wrap();
    let merged_cat = Format::new()
        .set_text_wrap()
        .set_align(FormatAlign::VerticalCenter);
    let date_fmt = Format::new().set_num_format("yyyy\"年\"m\"月\"d\"日\"");

    let notes = book.add_worksheet();
    notes.set_name("填表说明")?;
    notes.write_string(
        0,
        0,
        "填表说明：落实情况请填写 已完成/推进中/未启动/不适用 之一，完成时限填写日期或“长期坚持”。",
    )?;

    // The first departments are the town's offices; more are its villages (东一村, 东二村, …).
    let villages: Vec<String> = (UNITS.len()..opts.departments)
        .map(|i| {
            let k = i - UNITS.len();
            format!(
                "{}{}村",
                ["东", "西", "南", "北", "新", "下", "上", "石"][k % 8],
                CN_NUMBERS[k / 8 % 50]
            )
        })
        .collect();
    let units: Vec<&str> = UNITS
        .iter()
        .copied()
        .take(opts.departments)
        .chain(villages.iter().map(String::as_str))
        .collect();

    let last_col = (HEADERS.len() - 1) as u16;
    for set in 1..=opts.sets {
        let sheet = book.add_worksheet();
        sheet.set_name(format!("清单{set:02}"))?;
        for (col, width) in [(2u16, 40.0), (7, 36.0), (9, 18.0), (10, 18.0), (12, 20.0)] {
            sheet.set_column_width(col, width)?;
        }
        sheet.merge_range(
            0,
            0,
            0,
            last_col,
            &format!("清溪镇落实第{set}批安全生产硬措施工作台账"),
            &title_fmt,
        )?;
        for (col, header) in HEADERS.iter().enumerate() {
            sheet.write_string_with_format(1, col as u16, *header, &header_fmt)?;
        }
        sheet.set_freeze_panes(2, 0)?;

        let first_row = 2u32;
        let mut row = first_row;
        let mut category = rng.below(CATEGORIES.len());
        let end = first_row + opts.per_set as u32;
        while row < end {
            // A block of rows sharing one category, merged down in the 类别 column.
            let block = (6 + rng.below(15) as u32).min(end - row);
            let name = CATEGORIES[category % CATEGORIES.len()];
            category += 1 + rng.below(3);
            if block > 1 {
                sheet.merge_range(row, 1, row + block - 1, 1, name, &merged_cat)?;
            } else {
                sheet.write_string(row, 1, name)?;
            }
            for r in row..row + block {
                write_measure(
                    sheet,
                    &mut rng,
                    &units,
                    r,
                    r - first_row + 1,
                    &wrap,
                    &date_fmt,
                )?;
            }
            row += block;
        }
    }
    book.save(&opts.out)
}

fn write_measure(
    sheet: &mut rust_xlsxwriter::Worksheet,
    rng: &mut Lcg,
    units: &[&str],
    row: u32,
    number: u32,
    wrap: &Format,
    date_fmt: &Format,
) -> Result<(), XlsxError> {
    // 序号: mostly number cells, sometimes text.
    if rng.chance(70) {
        sheet.write_number(row, 0, number as f64)?;
    } else {
        sheet.write_string(row, 0, number.to_string())?;
    }
    let measure = format!("{}：{}", rng.pick(TOPICS), rng.pick(ACTIONS));
    sheet.write_string_with_format(row, 2, measure, wrap)?;

    let lead_count = if rng.chance(20) { 2 } else { 1 };
    let leads = rng.distinct(units, lead_count);
    if !rng.chance(3) {
        sheet.write_string(row, 3, leads.join("、"))?;
    }
    if rng.chance(55) {
        let count = 1 + rng.below(3);
        let support = rng.distinct(units, count);
        sheet.write_string(row, 4, support.join("、"))?;
    }
    sheet.write_string(row, 5, rng.pick(PEOPLE))?;

    let status = rng.weighted(STATUSES);
    if !status.is_empty() {
        sheet.write_string(row, 6, status)?;
    }
    if rng.chance(75) {
        let sentences = 1 + rng.below(3);
        let text: String = (0..sentences)
            .map(|_| {
                let t = rng.pick(PROGRESS);
                progress_text(rng, t)
            })
            .collect();
        sheet.write_string_with_format(row, 7, text, wrap)?;
    }
    match deadline(rng) {
        DeadlineCell::Date(y, m, d) => {
            sheet.write_datetime_with_format(
                row,
                8,
                ExcelDateTime::from_ymd(y, m, d)?,
                date_fmt,
            )?;
        }
        DeadlineCell::Text(t) => {
            sheet.write_string(row, 8, t)?;
        }
        DeadlineCell::Blank => {}
    }

    let count = 1 + rng.below(6);
    let required = rng.distinct(EVIDENCE, count);
    if rng.chance(92) {
        sheet.write_string_with_format(row, 9, numbered(&required), wrap)?;
        match rng.below(10) {
            0..=3 => {
                sheet.write_string(row, 10, "齐全")?;
            }
            4..=5 => {
                sheet.write_string(row, 10, "无")?;
            }
            6..=8 => {
                // Some of the required items, sometimes abbreviated (签到表 for 培训签到表).
                let have = rng.below(required.len()).max(1);
                let items: Vec<&str> = required[..have]
                    .iter()
                    .map(|i| i.strip_prefix("培训").unwrap_or(i))
                    .collect();
                sheet.write_string(row, 10, items.join("、"))?;
            }
            _ => {}
        }
    }
    let check = rng.pick(&["资料检查", "现场检查", "资料+现场"]);
    sheet.write_string(row, 11, check)?;
    if check != "资料检查" {
        let site = format!(
            "{}村{}",
            rng.pick(&[
                "上元", "下坝", "东岭", "西湖", "南塘", "北岸", "新联", "石桥"
            ]),
            rng.pick(&[
                "加油站",
                "液化气站",
                "五金厂",
                "物流仓库",
                "农贸市场",
                "学校",
                "工地"
            ])
        );
        sheet.write_string(row, 12, site)?;
    }
    sheet.write_string(
        row,
        13,
        format!("{}-{:02}", rng.pick(&["A", "B", "C"]), 1 + rng.below(40)),
    )?;
    let weight = [1.0, 1.0, 2.0, 2.0, 3.0, 5.0][rng.below(6)];
    if rng.chance(5) {
        sheet.write_string(row, 14, format!("{weight}"))?;
    } else {
        sheet.write_number(row, 14, weight)?;
    }
    if rng.chance(3) {
        sheet.write_string(row, 15, "是")?;
    } else if rng.chance(30) {
        sheet.write_string(row, 15, "否")?;
    }
    if rng.chance(20) {
        sheet.write_string(
            row,
            16,
            rng.pick(&[
                "已报镇安委办",
                "市督导组已检查",
                "需补充照片",
                "与上年度合并",
            ]),
        )?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let opts = match parse_args() {
        Ok(o) => o,
        Err(msg) => {
            eprintln!("{msg}");
            return ExitCode::from(2);
        }
    };
    if let Some(dir) = std::path::Path::new(&opts.out).parent()
        && !dir.as_os_str().is_empty()
        && let Err(e) = std::fs::create_dir_all(dir)
    {
        eprintln!("{}: {e}", dir.display());
        return ExitCode::FAILURE;
    }
    match generate(&opts) {
        Ok(()) => {
            eprintln!(
                "wrote {} ({} sets x {} measures)",
                opts.out, opts.sets, opts.per_set
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{}: {e}", opts.out);
            ExitCode::FAILURE
        }
    }
}
