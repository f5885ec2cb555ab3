//! The rendering rules of SPEC.md, seen from the files `pave new` writes: `.tera` files,
//! byte-for-byte copies, rendered and conditional paths, modes, excludes, links, the context.

use std::os::unix::fs::PermissionsExt;

use crate::fixtures::SVC_REQUIRED;
use crate::support::Test;

/// Bytes that are not UTF-8 and hold a NUL and Tera-looking text: copied, never rendered.
const BINARY: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00{{ service_name }}\xff\xfe\x00";

const WORKFLOW: &str = "name: ci
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo ${{ github.sha }} {{ service_name }} {% raw %}
";

fn new_svc(t: Test) -> crate::support::Output {
    t.args(["new", "svc", "out", "--no-git"]).args(SVC_REQUIRED).run()
}

#[test]
fn new_renders_tera_files_and_drops_the_suffix() {
    let out = new_svc(Test::svc().file("svc", "1.0.0", "src/main.rs.tera", "// {{ service_name | upper }}\n"));
    assert_eq!(out.read("out/src/main.rs"), "// PAYMENTS\n");
    assert!(!out.exists("out/src/main.rs.tera"));
}

#[test]
fn new_copies_other_files_byte_for_byte() {
    let out = new_svc(
        Test::svc()
            .file("svc", "1.0.0", "assets/logo.png", BINARY)
            .file("svc", "1.0.0", ".github/workflows/ci.yml", WORKFLOW)
            .file("svc", "1.0.0", "docs/notes.txt", "{{ not rendered }}\r\nno newline at end"),
    );
    assert_eq!(out.read_bytes("out/assets/logo.png"), BINARY);
    assert_eq!(out.read("out/.github/workflows/ci.yml"), WORKFLOW);
    assert_eq!(out.read("out/docs/notes.txt"), "{{ not rendered }}\r\nno newline at end");
}

#[test]
fn new_renders_every_path_component() {
    let out = new_svc(Test::svc().file("svc", "1.0.0", "src/{{ service_name | snake_case }}/lib.rs", "x\n").file(
        "svc",
        "1.0.0",
        "deploy/{{ tier }}/{{ service_name }}.yaml.tera",
        "tier: {{ tier }}\n",
    ));
    assert_eq!(out.read("out/src/payments/lib.rs"), "x\n");
    assert_eq!(out.read("out/deploy/tier-2/payments.yaml"), "tier: tier-2\n");
}

#[test]
fn new_skips_a_file_or_directory_whose_name_renders_empty() {
    let t = Test::svc().file("svc", "1.0.0", "{% if database %}db{% endif %}/schema.sql", "create table t();\n").file(
        "svc",
        "1.0.0",
        "{% if database %}migrate.sh{% endif %}",
        "#!/bin/sh\n",
    );
    let out = new_svc(t);
    assert_eq!(out.files("out"), [".pave.toml", "README.md"]);
}

#[test]
fn new_writes_a_conditional_file_or_directory_when_its_name_renders() {
    let out = Test::svc()
        .file("svc", "1.0.0", "{% if database %}db{% endif %}/schema.sql", "create table t();\n")
        .file("svc", "1.0.0", "{% if database %}migrate.sh{% endif %}", "#!/bin/sh\n")
        .args(["new", "svc", "out", "--no-git", "-d", "database=true"])
        .args(SVC_REQUIRED)
        .run();
    assert_eq!(out.files("out"), [".pave.toml", "README.md", "db/schema.sql", "migrate.sh"]);
}

#[test]
fn new_keeps_the_executable_bit() {
    let dir = Test::version_dir("svc", "1.0.0");
    let out = new_svc(
        Test::svc()
            .file("svc", "1.0.0", "scripts/run.sh", "#!/bin/sh\necho run\n")
            .chmod(&format!("{dir}/files/scripts/run.sh"), 0o755)
            .file("svc", "1.0.0", "scripts/build.sh.tera", "#!/bin/sh\necho {{ service_name }}\n")
            .chmod(&format!("{dir}/files/scripts/build.sh.tera"), 0o755)
            .file("svc", "1.0.0", "scripts/lib.sh", "# sourced\n"),
    );
    let mode = |rel: &str| std::fs::metadata(out.path(rel)).unwrap().permissions().mode();
    assert_ne!(mode("out/scripts/run.sh") & 0o111, 0, "run.sh stays executable");
    assert_ne!(mode("out/scripts/build.sh") & 0o111, 0, "a rendered script stays executable");
    assert_eq!(mode("out/scripts/lib.sh") & 0o111, 0, "lib.sh stays non-executable");
}

#[test]
fn new_executable_bit_is_committed_to_git() {
    let dir = Test::version_dir("svc", "1.0.0");
    let out = Test::svc()
        .file("svc", "1.0.0", "run.sh", "#!/bin/sh\n")
        .chmod(&format!("{dir}/files/run.sh"), 0o755)
        .args(["new", "svc", "out"])
        .args(SVC_REQUIRED)
        .run();
    let tree = out.git("out", &["ls-tree", "HEAD", "run.sh", "README.md"]);
    assert!(tree.contains("100755 blob") && tree.contains("\trun.sh"), "{tree}");
    assert!(tree.contains("100644 blob") && tree.contains("\tREADME.md"), "{tree}");
}

#[test]
fn new_never_renders_excluded_files() {
    let manifest = format!("{}\n[files]\nexclude = [\"**/.DS_Store\", \"drafts/**\"]\n", crate::fixtures::SVC_MANIFEST);
    let out = new_svc(
        Test::svc()
            .manifest("svc", "1.0.0", &manifest)
            .file("svc", "1.0.0", ".DS_Store", "junk")
            .file("svc", "1.0.0", "src/.DS_Store", "junk")
            // An excluded .tera file is not even parsed: its broken syntax does not matter.
            .file("svc", "1.0.0", "drafts/idea.md.tera", "{% if %}"),
    );
    assert_eq!(out.files("out"), [".pave.toml", "README.md"]);
}

#[test]
fn new_reproduces_a_relative_symlink_inside_the_template() {
    let out = new_svc(
        Test::svc()
            .file("svc", "1.0.0", "docs/guide.md", "guide\n")
            .file_link("svc", "1.0.0", "docs/index.md", "guide.md")
            .file_link("svc", "1.0.0", "GUIDE.md", "docs/guide.md")
            .file_link("svc", "1.0.0", "docs/readme.md", "../README.md"),
    );
    for (link, target) in
        [("out/docs/index.md", "guide.md"), ("out/GUIDE.md", "docs/guide.md"), ("out/docs/readme.md", "../README.md")]
    {
        let read = std::fs::read_link(out.path(link)).unwrap_or_else(|e| panic!("{link}: {e}"));
        assert_eq!(read.to_str(), Some(target), "{link}");
    }
    assert_eq!(out.read("out/GUIDE.md"), "guide\n");
}

#[test]
fn new_refuses_a_template_symlink_that_leaves_the_template() {
    let out = Test::svc()
        .write("outside/secret.txt", "top secret\n")
        .file_link("svc", "1.0.0", "docs/leak.txt", "../../../../../outside/secret.txt")
        .args(["new", "svc", "out"])
        .args(SVC_REQUIRED)
        .status(2)
        .stdout("")
        .stderr(
            "error: template file `docs/leak.txt` is a link to `../../../../../outside/secret.txt`, which leaves the template: only relative links inside it are allowed\n",
        )
        .run();
    assert!(!out.exists("out"));
}

#[test]
fn new_refuses_an_absolute_template_symlink() {
    let out = Test::svc()
        .file_link("svc", "1.0.0", "passwd", "/etc/passwd")
        .args(["new", "svc", "out"])
        .args(SVC_REQUIRED)
        .status(2)
        .stderr_contains("template file `passwd` is a link to `/etc/passwd`")
        .run();
    assert!(!out.exists("out"));
}

#[test]
fn new_context_holds_template_catalog_and_pave() {
    let out = new_svc(Test::svc().file(
        "svc",
        "1.0.0",
        "about.txt.tera",
        "{{ template.name }} {{ template.version }} {{ template.maturity }}\n{{ catalog.name }} / {{ catalog.owner }} / {{ catalog.support.channel }}\npave {{ pave.version }}\n",
    ));
    assert_eq!(
        out.read("out/about.txt"),
        format!(
            "svc 1.0.0 stable\nFixture golden paths / platform-team / #platform-help\npave {}\n",
            env!("CARGO_PKG_VERSION")
        )
    );
}

#[test]
fn new_case_filters_are_available() {
    let out = Test::svc()
        .file(
            "svc",
            "1.0.0",
            "names.txt.tera",
            "{{ service_name | kebab_case }} {{ service_name | snake_case }} {{ service_name | pascal_case }} {{ service_name | shouty_snake_case }}\n",
        )
        .args(["new", "svc", "out", "--no-git", "-d", "service_name=payments-api", "-d", "team=t"])
        .run();
    assert_eq!(out.read("out/names.txt"), "payments-api payments_api PaymentsApi PAYMENTS_API\n");
}

#[test]
fn new_rendering_is_deterministic() {
    let t = Test::svc()
        .file("svc", "1.0.0", "a/{{ service_name }}.txt.tera", "{{ image }} {{ replicas }}\n")
        .file("svc", "1.0.0", "bin.dat", BINARY);
    let first = t.args(["new", "svc", "one", "--no-git"]).args(SVC_REQUIRED).run();
    let mut args = vec!["new", "svc", "two", "--no-git"];
    args.extend(SVC_REQUIRED);
    let second = first.pave(&args);
    assert!(second.status.success(), "{}", String::from_utf8_lossy(&second.stderr));
    assert_eq!(first.files("one"), first.files("two"));
    for f in first.files("one") {
        assert_eq!(first.read_bytes(&format!("one/{f}")), first.read_bytes(&format!("two/{f}")), "{f}");
    }
}

#[test]
fn new_reports_a_tera_error_with_file_and_line() {
    let out = Test::svc()
        .file("svc", "1.0.0", "zz-last.txt.tera", "line one\n\n{{ undefined_thing }}\n")
        .args(["new", "svc", "out"])
        .args(SVC_REQUIRED)
        .status(2)
        .stdout("")
        .stderr_contains("zz-last.txt.tera:3:")
        .stderr_contains("undefined_thing")
        .run();
    assert!(!out.exists("out"));
}

#[test]
fn new_reports_two_template_files_rendering_to_the_same_path() {
    let out = Test::svc()
        .file("svc", "1.0.0", "config.yaml", "a\n")
        .file("svc", "1.0.0", "config.yaml.tera", "b\n")
        .args(["new", "svc", "out"])
        .args(SVC_REQUIRED)
        .status(2)
        .stderr_contains("template files `config.yaml` and `config.yaml.tera` both render to `config.yaml`")
        .run();
    assert!(!out.exists("out"));
}

#[test]
fn new_reports_a_tera_file_that_is_not_text() {
    let out = Test::svc()
        .file("svc", "1.0.0", "logo.png.tera", BINARY)
        .args(["new", "svc", "out"])
        .args(SVC_REQUIRED)
        .status(2)
        .stderr_contains("template file `logo.png.tera` ends in .tera but is not UTF-8 text")
        .run();
    assert!(!out.exists("out"));
}

#[test]
fn new_reports_a_tera_error_in_a_path_naming_the_path() {
    let out = Test::svc()
        .file("svc", "1.0.0", "src/{{ no_such_answer }}/lib.rs", "x\n")
        .args(["new", "svc", "out"])
        .args(SVC_REQUIRED)
        .status(2)
        .stderr_contains("path `src/{{ no_such_answer }}/lib.rs`")
        .stderr_contains("no_such_answer")
        .run();
    assert!(!out.exists("out"));
}
