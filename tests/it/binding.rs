//! What `check` and `pack` make of evidence files that are hard to bind (issue 18, items 3
//! and 5): PDFs whose streams inflate to gigabytes and images that claim more pixels than
//! they hold are refused in bounded memory, with one line naming the file, and still
//! packed as attachments.
//!
//! Every file goes to measure 19 of 市78条 in the sample workbook; the runs that could ask
//! for much memory run under a 1 GB address-space cap (`ulimit -v`).

use crate::common::{AS_OF, sample};
use std::path::{Path, PathBuf};
use std::process::Output;

/// The evidence folder's measure folder for 市78条 19 (值班表 is one of its items).
const MEASURE: &str = "2026年市78条佐证材料/19 特种设备";

/// Makes `TMP/evidence/MEASURE` and returns the evidence folder.
fn evidence(tmp: &Path) -> PathBuf {
    let ev = tmp.join("evidence");
    std::fs::create_dir_all(ev.join(MEASURE)).unwrap();
    ev
}

/// Runs `dossier ARGS…` in `dir` under an address-space cap of `kb` kilobytes, where an
/// allocation past it fails (and an unbounded one would abort with exit 134).
fn capped(dir: &Path, kb: u64, args: &[&std::ffi::OsStr]) -> Output {
    let mut cmd = assert_cmd::Command::new("sh");
    cmd.current_dir(dir)
        .env("DOSSIER_LANG", crate::common::MESSAGES_LANG)
        .arg("-c")
        .arg(format!(r#"ulimit -v {kb}; exec "$0" "$@""#))
        .arg(env!("CARGO_BIN_EXE_dossier"))
        .args(args)
        .timeout(std::time::Duration::from_secs(300));
    cmd.output().expect("runs")
}

/// `dossier check qingxi-town.xlsx --as-of AS_OF --evidence EV`, capped at `kb`.
fn check(dir: &Path, ev: &Path, kb: u64) -> Output {
    let input = sample("qingxi-town.xlsx");
    capped(
        dir,
        kb,
        &[
            "check".as_ref(),
            input.as_os_str(),
            "--as-of".as_ref(),
            AS_OF.as_ref(),
            "--evidence".as_ref(),
            ev.as_os_str(),
        ],
    )
}

/// `dossier pack … --folder DIR/pack`, capped at `kb`; returns the run and the folder.
fn pack(dir: &Path, ev: &Path, kb: u64) -> (Output, PathBuf) {
    let input = sample("qingxi-town.xlsx");
    let target = dir.join("pack");
    let out = capped(
        dir,
        kb,
        &[
            "pack".as_ref(),
            input.as_os_str(),
            "--as-of".as_ref(),
            AS_OF.as_ref(),
            "--evidence".as_ref(),
            ev.as_os_str(),
            "--folder".as_ref(),
            target.as_os_str(),
        ],
    );
    (out, target)
}

/// The binder of 市78条 in a pack folder.
fn binder(pack: &Path) -> PathBuf {
    pack.join("装订/03 市78条.pdf")
}

/// The text of a PDF, by `pdftotext` (poppler), as a reader would copy it.
fn pdftotext(pdf: &Path, pages: Option<(usize, usize)>) -> String {
    let mut cmd = std::process::Command::new("pdftotext");
    if let Some((first, last)) = pages {
        cmd.args(["-f", &first.to_string(), "-l", &last.to_string()]);
    }
    let out = cmd.arg(pdf).arg("-").output().expect("pdftotext runs");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// The page count `pdfinfo` (poppler) reads.
fn pdfinfo_pages(pdf: &Path) -> usize {
    let out = std::process::Command::new("pdfinfo")
        .arg(pdf)
        .output()
        .expect("pdfinfo runs");
    let text = String::from_utf8(out.stdout).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no page count: {text}"))
}

/// The lines of `text` that name `file` (a path under MEASURE).
fn lines_naming<'a>(text: &'a str, file: &str) -> Vec<&'a str> {
    let path = format!("{MEASURE}/{file}");
    text.lines().filter(|l| l.contains(&path)).collect()
}

/// zlib data that inflates to `len` bytes of `byte`, made in a moment however large: a
/// MiB deflated with a full flush, which forgets all history, comes out the same every
/// time, so it is repeated; the zlib header, a final block and the Adler-32 of the whole
/// are written around it.
fn zlib_of(byte: u8, len: u64) -> Vec<u8> {
    use flate2::{Compress, Compression, FlushCompress};
    const MIB: usize = 1 << 20;
    let mut z = Compress::new(Compression::best(), false);
    let mut deflate = |input: &[u8], flush: FlushCompress| {
        let mut out = Vec::new();
        let start = z.total_in();
        loop {
            out.reserve(64 * 1024);
            let at = usize::try_from(z.total_in() - start).unwrap();
            z.compress_vec(&input[at..], &mut out, flush).unwrap();
            // Done when all is taken and the output did not fill the room it had.
            if usize::try_from(z.total_in() - start).unwrap() == input.len()
                && out.len() < out.capacity()
            {
                return out;
            }
        }
    };
    let chunk = vec![byte; MIB];
    let one = deflate(&chunk, FlushCompress::Full);
    assert_eq!(
        deflate(&chunk, FlushCompress::Full),
        one,
        "a flushed MiB repeats"
    );
    let whole = len / MIB as u64;
    let rest = usize::try_from(len % MIB as u64).unwrap();
    let mut out = vec![0x78, 0xDA];
    for _ in 0..whole {
        out.extend_from_slice(&one);
    }
    if rest > 0 {
        out.extend(deflate(&chunk[..rest], FlushCompress::Full));
    }
    out.extend(deflate(&[], FlushCompress::Finish));
    // Adler-32 of `len` bytes of `byte`: A = 1 + len·byte, B = Σ A_i = len + byte·len(len+1)/2.
    let (n, v, m) = (u128::from(len), u128::from(byte), 65521u128);
    let a = (1 + n * v) % m;
    let b = (n + v * (n * (n + 1) / 2)) % m;
    out.extend_from_slice(&(((b << 16) | a) as u32).to_be_bytes());
    out
}

/// A one-page PDF showing `text`, with an object stream (object 4, not needed by the
/// page) whose FlateDecode data inflates to `pad` bytes of spaces after its one object.
fn objstm_bomb(pad: u64, text: &str) -> Vec<u8> {
    let data = zlib_of(b' ', pad);
    let content = format!("BT /F1 24 Tf 72 700 Td ({text}) Tj ET");
    let objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 5 0 R /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>".to_vec(),
        {
            // The one object, `6 0`, at offset 0 after a 4-byte index; the spaces pad it.
            let mut o = format!(
                "<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length {} >>\nstream\n",
                data.len()
            )
            .into_bytes();
            o.extend_from_slice(&data);
            o.extend_from_slice(b"\nendstream");
            o
        },
        {
            let mut o = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
            o.extend_from_slice(content.as_bytes());
            o.extend_from_slice(b"\nendstream");
            o
        },
    ];
    let mut out = b"%PDF-1.5\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(o);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// The object-stream bomb of issue 18, item 3: two 1.2 MB PDFs whose object streams
/// inflate to 1.2 GB each (1.1 GB of memory to check one, 2.3 GB for two). Checked side
/// by side, then packed, under a 1 GB address-space cap: each is one line naming it, the
/// pack lists it unbound in the binder and still carries it.
#[cfg(target_os = "linux")]
#[test]
fn pdfs_whose_object_streams_inflate_to_gigabytes_are_refused_in_bounded_memory() {
    let tmp = tempfile::tempdir().unwrap();
    let ev = evidence(tmp.path());
    let names = ["2026-06-09 值班表.pdf", "2026-06-10 值班表.pdf"];
    let mut bombs = Vec::new();
    for name in names {
        let bomb = objstm_bomb(1200 << 20, name);
        assert!(bomb.len() < 2 << 20, "{} bytes", bomb.len());
        std::fs::write(ev.join(MEASURE).join(name), &bomb).unwrap();
        bombs.push(bomb);
    }
    let out = check(tmp.path(), &ev, 1_000_000);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
    assert!(!stderr.contains("memory allocation"), "{stderr}");
    for name in names {
        assert_eq!(
            lines_naming(&stdout, name),
            [format!(
                "{MEASURE}/{name}: warning: the file cannot be opened: its compressed streams inflate past 64 MB, the most dossier inflates of one PDF (docs/limits.md); save or scan it again"
            )],
            "{stdout}"
        );
    }

    let (out, folder) = pack(tmp.path(), &ev, 1_000_000);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = pdftotext(&binder(&folder), None);
    let squeezed: String = text.split_whitespace().collect();
    for name in names {
        let name: String = name.split_whitespace().collect();
        assert!(
            squeezed.contains(&format!("{name}附件（未装订）：无法打开")),
            "{text}"
        );
    }
    // Still packed, as they were.
    let packed: Vec<Vec<u8>> = crate::common::files_under(&folder.join("材料"))
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .filter(|b| bombs.contains(b))
        .collect();
    assert_eq!(packed.len(), 2);
}

/// A JPEG of a few hundred bytes whose frame header claims 65500×65500 pixels: `check`
/// says in one line that its bytes cannot hold them, and the binder lists it unbound
/// without a page for it. A 30000×30000 PNG, genuine and under a megabyte, is good
/// evidence but too large to bind: listed unbound, never decoded (under a 1 GB cap).
#[cfg(target_os = "linux")]
#[test]
fn images_claiming_more_pixels_than_their_bytes_hold_are_refused_and_never_rendered() {
    let tmp = tempfile::tempdir().unwrap();
    let ev = evidence(tmp.path());
    // A real 8×8 JPEG whose SOF0 then claims 65500×65500.
    let mut jpg = Vec::new();
    image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(8, 8, image::Rgb([9, 9, 9])))
        .write_to(
            &mut std::io::Cursor::new(&mut jpg),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
    let sof = jpg.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    jpg[sof + 5..sof + 7].copy_from_slice(&65500u16.to_be_bytes());
    jpg[sof + 7..sof + 9].copy_from_slice(&65500u16.to_be_bytes());
    assert!(jpg.len() < 1024, "{}", jpg.len());
    std::fs::write(ev.join(MEASURE).join("2026-06-09 值班表 照片.jpg"), &jpg).unwrap();
    // A grey 30000×30000 PNG: 900 MB of pixels deflated to under a megabyte.
    let (w, h) = (30_000u32, 30_000u32);
    let idat = zlib_of(0, u64::from(h) * (u64::from(w) + 1));
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        png.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        png.extend_from_slice(kind);
        png.extend_from_slice(data);
        png.extend_from_slice(&crc.sum().to_be_bytes());
    };
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &idat);
    chunk(b"IEND", &[]);
    assert!(png.len() < 1 << 20, "{}", png.len());
    std::fs::write(ev.join(MEASURE).join("2026-06-09 值班表 全景.png"), &png).unwrap();

    let out = check(tmp.path(), &ev, 1_000_000);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
    assert_eq!(
        lines_naming(&stdout, "2026-06-09 值班表 照片.jpg"),
        [format!(
            "{MEASURE}/2026-06-09 值班表 照片.jpg: warning: the file cannot be opened: the image claims 65500×65500 pixels, more than its {} bytes can hold; save or scan it again",
            jpg.len()
        )],
        "{stdout}"
    );
    assert_eq!(
        lines_naming(&stdout, "全景.png"),
        Vec::<&str>::new(),
        "{stdout}"
    );

    let (out, folder) = pack(tmp.path(), &ev, 1_000_000);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    // The PNG was judged readable and turned out unbindable only in the binder: the clerk
    // is told, and the index says so beside the file (it said 有 alone before).
    let stderr = String::from_utf8_lossy(&out.stderr);
    let warned: Vec<&str> = stderr.lines().filter(|l| l.contains("全景.png")).collect();
    assert_eq!(warned.len(), 1, "{stderr}");
    assert!(
        warned[0].starts_with("dossier: warning: 装订/03 市78条.pdf: 材料/03 市78条/")
            && warned[0].ends_with(
                "/2026-06-09 值班表 全景.png is packed but not bound: 无法读取（the image claims 30000×30000 pixels, more than the 50 megapixels a binder page takes）"
            ),
        "{stderr}"
    );
    let csv = std::fs::read_to_string(folder.join("00-目录.csv")).unwrap();
    let row: Vec<&str> = csv.lines().filter(|l| l.contains("全景.png")).collect();
    assert_eq!(row.len(), 1, "{csv}");
    assert!(
        row[0].contains("有（未装订：无法读取（the image claims 30000×30000 pixels"),
        "{csv}"
    );
    let path = binder(&folder);
    let text = pdftotext(&path, None);
    let squeezed: String = text.split_whitespace().collect();
    assert!(
        squeezed.contains("2026-06-09值班表照片.jpg附件（未装订）：无法打开"),
        "{text}"
    );
    assert!(
        squeezed.contains(
            "2026-06-09值班表全景.png附件（未装订）：无法读取（theimageclaims30000×30000pixels,morethanthe50megapixelsabinderpagetakes）"
        ),
        "{text}"
    );
    // Nothing of either is drawn: the binder is its cover and contents only.
    let pdf = std::fs::read(&path).unwrap();
    let front = lopdf::Document::load_mem(&pdf).unwrap();
    assert!(
        !front
            .objects
            .values()
            .any(|o| o.as_stream().is_ok_and(|s| s.dict.has_type(b"XObject")
                && s.dict.get(b"Subtype").and_then(|v| v.as_name()).ok() == Some(b"Image"))),
        "an image was embedded"
    );
}

/// `qpdf ARGS…`, or `None` when qpdf is not installed (CI installs it).
fn qpdf(args: &[&std::ffi::OsStr]) -> Option<()> {
    let out = std::process::Command::new("qpdf")
        .args(args)
        .output()
        .ok()?;
    // Exit 3: done, with warnings.
    assert!(
        matches!(out.status.code(), Some(0 | 3)),
        "qpdf {args:?}: {out:?}"
    );
    Some(())
}

/// A one-page PDF showing `text`, written by lopdf, with `extra` bytes of spaces in a
/// string the page refers to.
fn plain_pdf(path: &Path, text: &str, extra: usize) {
    use lopdf::{Document, Object, Stream, dictionary};
    let mut doc = Document::with_version("1.5");
    let pages = doc.new_object_id();
    let font = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
    });
    let content = format!("BT /F1 24 Tf 72 700 Td ({text}) Tj ET");
    let content = doc.add_object(Stream::new(dictionary! {}, content.into_bytes()));
    let note = doc.add_object(Object::string_literal(vec![b' '; extra]));
    let page = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages, "Contents" => content,
        "Resources" => dictionary! { "Font" => dictionary! { "F1" => font } },
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        "Note" => note,
    });
    doc.objects.insert(
        pages,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1,
        }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages });
    doc.trailer.set("Root", catalog);
    doc.save(path).unwrap();
}

/// An encrypted PDF's object streams are ciphertext to the scan: they are measured once
/// lopdf has decrypted them, and count against the budget as any other.
#[test]
fn an_encrypted_pdfs_object_streams_count_against_the_budget_once_decrypted() {
    use dossier::evidence::pdf_budget::{OpenError, load_within};
    let tmp = tempfile::tempdir().unwrap();
    let (src, enc) = (tmp.path().join("src.pdf"), tmp.path().join("enc.pdf"));
    plain_pdf(&src, "sealed page", 3 << 20);
    let made = qpdf(&[
        "--object-streams=generate".as_ref(),
        "--encrypt".as_ref(),
        "".as_ref(),
        "owner".as_ref(),
        "256".as_ref(),
        "--".as_ref(),
        src.as_os_str(),
        enc.as_os_str(),
    ]);
    if made.is_none() {
        eprintln!("qpdf is not installed: skipped");
        return;
    }
    let pdf = std::fs::read(&enc).unwrap();
    assert!(pdf.len() < 100_000, "{}", pdf.len());
    let e = load_within(&pdf, 1 << 20).unwrap_err();
    assert!(matches!(e, OpenError::Inflates(b) if b == 1 << 20), "{e:?}");
    let doc = load_within(&pdf, 8 << 20).unwrap();
    assert!(doc.was_encrypted());
    assert_eq!(doc.get_pages().len(), 1);
    let page = doc.get_dictionary(doc.page_iter().next().unwrap()).unwrap();
    let note = page.get(b"Note").unwrap().as_reference().unwrap();
    let note = doc.get_object(note).unwrap().as_str().unwrap();
    assert!(note.len() == 3 << 20 && note.iter().all(|&c| c == b' '));
}

/// PDFs locked by an owner password only, as offices send them (an empty user password
/// opens them in every viewer), made by qpdf in AES-256, AES-128, RC4-128 and RC4-40 (one
/// with object streams): `check` judges them good, and the binder binds their pages
/// decrypted, their text readable. A PDF that needs a user password is still listed
/// unbound as encrypted (issue 18, item 5).
#[test]
fn pdfs_locked_by_an_owner_password_only_are_bound() {
    let tmp = tempfile::tempdir().unwrap();
    let ev = evidence(tmp.path());
    // (file, qpdf's options before `--`, the page's text)
    let kinds: [(&str, &[&str], &str); 5] = [
        (
            "2026-06-09 值班表 a.pdf",
            &["--encrypt", "", "owner", "256"],
            "aes-256 page",
        ),
        (
            "2026-06-09 值班表 b.pdf",
            &[
                "--object-streams=generate",
                "--encrypt",
                "",
                "owner",
                "128",
                "--use-aes=y",
            ],
            "aes-128 page",
        ),
        (
            "2026-06-09 值班表 c.pdf",
            &[
                "--allow-weak-crypto",
                "--encrypt",
                "",
                "owner",
                "128",
                "--use-aes=n",
            ],
            "rc4-128 page",
        ),
        (
            "2026-06-09 值班表 d.pdf",
            &["--allow-weak-crypto", "--encrypt", "", "owner", "40"],
            "rc4-40 page",
        ),
        (
            "2026-06-09 值班表 e.pdf",
            &["--encrypt", "user", "owner", "256"],
            "needs a user password",
        ),
    ];
    for (name, options, text) in kinds {
        let src = tmp.path().join("src.pdf");
        plain_pdf(&src, text, 0);
        let mut args: Vec<&std::ffi::OsStr> = options.iter().map(|o| o.as_ref()).collect();
        let target = ev.join(MEASURE).join(name);
        args.extend(["--".as_ref(), src.as_os_str(), target.as_os_str()]);
        if qpdf(&args).is_none() {
            eprintln!("qpdf is not installed: skipped");
            return;
        }
    }
    let out = check(tmp.path(), &ev, 2_000_000);
    let stdout = String::from_utf8_lossy(&out.stdout);
    for (name, _, _) in &kinds[..4] {
        assert_eq!(lines_naming(&stdout, name), Vec::<&str>::new(), "{stdout}");
    }
    assert_eq!(
        lines_naming(&stdout, kinds[4].0),
        [format!(
            "{MEASURE}/{}: warning: the file is password-protected; save a copy without a password; inspectors cannot open it",
            kinds[4].0
        )],
        "{stdout}"
    );

    let (out, folder) = pack(tmp.path(), &ev, 2_000_000);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let path = binder(&folder);
    let pages = pdfinfo_pages(&path);
    // The four bound pages come last, in the order of their files.
    let bound = [
        "aes-256 page",
        "aes-128 page",
        "rc4-128 page",
        "rc4-40 page",
    ];
    for (i, text) in bound.iter().enumerate() {
        let n = pages - bound.len() + i + 1;
        let page = pdftotext(&path, Some((n, n)));
        assert!(page.contains(text), "page {n} of {pages}: {page:?}");
    }
    let front = pdftotext(&path, Some((1, pages - bound.len())));
    for text in bound {
        assert!(!front.contains(text), "{text} in the front pages: {front}");
    }
    // The contents line of the one file that needs a user password, read as laid out
    // (the default reading order may put a neighbour's page number between its parts).
    let laid_out = std::process::Command::new("pdftotext")
        .args([
            "-layout",
            "-f",
            "1",
            "-l",
            &(pages - bound.len()).to_string(),
        ])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext runs");
    let laid_out = String::from_utf8(laid_out.stdout).unwrap();
    assert!(
        laid_out.lines().any(|l| {
            let squeezed: String = l.split_whitespace().collect();
            squeezed.contains("2026-06-09值班表e.pdf附件（未装订）：已加密")
        }),
        "{laid_out}"
    );
    assert!(!pdftotext(&path, None).contains("needs a user password"));
    // The binder itself is not encrypted and holds no trace of the sources' encryption.
    let info = std::process::Command::new("pdfinfo")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&info.stdout).contains("Encrypted:       no"),
        "{info:?}"
    );
}

/// Page `n` of a PDF rasterised by `pdftoppm` (poppler) at `dpi`, as a person would see it.
fn raster(pdf: &Path, n: usize, dpi: u32) -> image::RgbImage {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("page");
    let out = std::process::Command::new("pdftoppm")
        .args([
            "-r",
            &dpi.to_string(),
            "-f",
            &n.to_string(),
            "-l",
            &n.to_string(),
        ])
        .args(["-png", "-singlefile"])
        .arg(pdf)
        .arg(&prefix)
        .output()
        .expect("pdftoppm runs");
    assert!(out.status.success(), "{out:?}");
    image::open(prefix.with_extension("png"))
        .unwrap()
        .into_rgb8()
}

/// A 3-page TIFF, as a fax or a scanner's feeder writes one, in red, green and blue: the
/// binder has a page for each, in order, each captioned with its number (it bound the
/// first alone, silently; issue 18, item 5).
#[test]
fn every_page_of_a_multi_page_tiff_is_bound() {
    let tmp = tempfile::tempdir().unwrap();
    let ev = evidence(tmp.path());
    let colours = [[200u8, 0, 0], [0, 160, 0], [0, 0, 200]];
    let mut tif = std::io::Cursor::new(Vec::new());
    {
        let mut enc = tiff::encoder::TiffEncoder::new(&mut tif).unwrap();
        for c in colours {
            let px: Vec<u8> = (0..60 * 40).flat_map(|_| c).collect();
            enc.write_image::<tiff::encoder::colortype::RGB8>(60, 40, &px)
                .unwrap();
        }
    }
    let name = "2026-06-09 值班表 传真.tif";
    std::fs::write(ev.join(MEASURE).join(name), tif.into_inner()).unwrap();

    let (out, folder) = pack(tmp.path(), &ev, 2_000_000);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let path = binder(&folder);
    let pages = pdfinfo_pages(&path);
    for (i, c) in colours.iter().enumerate() {
        let n = pages - 2 + i;
        let text: String = pdftotext(&path, Some((n, n))).split_whitespace().collect();
        assert!(text.contains(&format!("·{}/3", i + 1)), "page {n}: {text}");
        let page = raster(&path, n, 20);
        let centre = page.get_pixel(page.width() / 2, page.height() / 2).0;
        let near = centre.iter().zip(c).all(|(a, b)| a.abs_diff(*b) < 40);
        assert!(near, "page {n} shows {centre:?}, not {c:?}");
    }
    // The front pages hold none of the TIFF.
    let page = raster(&path, pages - 3, 20);
    let centre = page.get_pixel(page.width() / 2, page.height() / 2).0;
    assert!(!colours.contains(&centre), "{centre:?}");
}

/// A PDF of one all-black page, turned by `rotate` degrees.
fn black_pdf(rotate: i64) -> Vec<u8> {
    use lopdf::{Document, Object, Stream, dictionary};
    let mut doc = Document::with_version("1.4");
    let pages = doc.new_object_id();
    let content = doc.add_object(Stream::new(
        dictionary! {},
        b"0 0 0 rg 0 0 595 842 re f".to_vec(),
    ));
    let page = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages, "Contents" => content,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        "Rotate" => rotate,
    });
    doc.objects.insert(
        pages,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1,
        }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

/// The binder's page number stays legible on a black page: rasterised by pdftoppm at 100
/// dpi, the stamp's corner holds a white patch with the dark number in it, while the page
/// around it is black; on a page shown upright or turned a quarter (it vanished, black on
/// black; issue 18, item 5).
#[test]
fn the_page_number_is_legible_on_a_black_page() {
    let tmp = tempfile::tempdir().unwrap();
    let ev = evidence(tmp.path());
    std::fs::write(
        ev.join(MEASURE).join("2026-06-09 值班表 a.pdf"),
        black_pdf(0),
    )
    .unwrap();
    std::fs::write(
        ev.join(MEASURE).join("2026-06-09 值班表 b.pdf"),
        black_pdf(90),
    )
    .unwrap();
    let (out, folder) = pack(tmp.path(), &ev, 2_000_000);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let path = binder(&folder);
    let pages = pdfinfo_pages(&path);
    for n in [pages - 1, pages] {
        // 100 dpi: at 50 a one-digit number's strokes are antialiased to grey.
        let page = raster(&path, n, 100);
        let px = |pt: f32| (pt * 100.0 / 72.0).round() as u32;
        let (w, h) = (page.width(), page.height());
        // The top-right corner where the number stands: 12 to 60 points from the right
        // edge, 8 to 36 from the top.
        let mut white = 0;
        let mut dark_inside = 0;
        let patch: Vec<(u32, u32)> = (w - px(60.0)..w - px(12.0))
            .flat_map(|x| (px(8.0)..px(36.0)).map(move |y| (x, y)))
            .collect();
        for &(x, y) in &patch {
            let [r, g, b] = page.get_pixel(x, y).0;
            if r > 230 && g > 230 && b > 230 {
                white += 1;
            }
        }
        // Dark pixels with white on both sides along the row: the strokes of the number.
        for &(x, y) in &patch {
            let lum = |x: u32| page.get_pixel(x, y).0[0];
            if lum(x) < 128
                && (x.saturating_sub(4)..x).any(|l| lum(l) > 230)
                && (x + 1..x + 5).any(|r| lum(r) > 230)
            {
                dark_inside += 1;
            }
        }
        assert!(white >= 40, "page {n}: {white} white pixels at the stamp");
        assert!(dark_inside >= 2, "page {n}: no number in the patch");
        // The rest of the page is as black as it was.
        let centre = page.get_pixel(w / 2, h / 2).0;
        assert_eq!(centre, [0, 0, 0], "page {n}");
        let corner = page.get_pixel(w - px(150.0), px(20.0)).0;
        assert_eq!(corner, [0, 0, 0], "page {n} beside the stamp");
    }
}
