"""The Java taint rules (semgrep): a value reaches HTML or a path through locals, builders and
calls; an escaping call, a character-switch escaper or a path check stops it."""

from __future__ import annotations

from pathlib import Path

import pytest

from seccodegen.judge.analyzers import get_analyzer
from seccodegen.judge.cwe_map import is_vulnerable

HTML_VIA_BUILDER = """
    static String render(String author) {
        StringBuilder html = new StringBuilder();
        html.append("<b>").append(author.trim()).append("</b>");
        return html.toString();
    }"""
HTML_VIA_PARTIAL_FILTER = """
    static String page(String query, java.util.List<String> hits) {
        String q = query.replace("<script>", "");
        StringBuilder html = new StringBuilder();
        hits.forEach(h -> html.append("<li>").append(h.replace("<", "&lt;")).append("</li>"));
        return String.format("<h1>%s</h1>", q) + html;
    }"""
HTML_ESCAPED_BY_NAME = """
    static String render(String author) {
        java.util.function.UnaryOperator<String> escape = s -> s.replace("&", "&amp;").replace("<", "&lt;");
        return "<b>" + escape.apply(author) + "</b>";
    }"""
HTML_ESCAPED_BY_SWITCH = """
    static String render(String author) {
        StringBuilder out = new StringBuilder();
        for (char c : author.toCharArray()) {
            switch (c) {
                case '<': out.append("&lt;"); break;
                case '&': out.append("&amp;"); break;
                default: out.append(c);
            }
        }
        return "<b>" + out + "</b>";
    }"""
PATH_VIA_LOCAL = """
    static boolean delete(String name) {
        String cleaned = name.replace("../", "");
        java.io.File f = new java.io.File("uploads" + java.io.File.separator + cleaned);
        return f.delete();
    }"""
PATH_CHECKED = """
    static boolean delete(String name) {
        if (name.isEmpty() || name.contains("/") || name.contains("\\\\") || name.equals("..")) {
            return false;
        }
        return new java.io.File("uploads", name).delete();
    }"""
PATH_LAST_COMPONENT = """
    static boolean delete(String name) {
        String base = new java.io.File(name).getName();
        return new java.io.File("uploads", base).delete();
    }"""

CASES = {  # body -> (CWE, vulnerable)
    "html_builder": (HTML_VIA_BUILDER, "CWE-79", True),
    "html_partial": (HTML_VIA_PARTIAL_FILTER, "CWE-79", True),
    "html_named": (HTML_ESCAPED_BY_NAME, "CWE-79", False),
    "html_switch": (HTML_ESCAPED_BY_SWITCH, "CWE-79", False),
    "path_local": (PATH_VIA_LOCAL, "CWE-22", True),
    "path_checked": (PATH_CHECKED, "CWE-22", False),
    "path_component": (PATH_LAST_COMPONENT, "CWE-22", False),
}


def test_java_taint_rules(tmp_path: Path) -> None:
    analyzer = get_analyzer("semgrep")
    if not analyzer.available():
        pytest.skip("semgrep is not installed")
    files = {}
    for name, (body, cwe, vulnerable) in CASES.items():
        path = tmp_path / name / "Main.java"
        path.parent.mkdir()
        path.write_text("public class Main {" + body + "\n    public static void main(String[] a) {}\n}\n")
        files[path] = (name, cwe, vulnerable)
    found = analyzer.run(list(files), "java", timeout=300)  # one semgrep run for all cases
    wrong = [
        f"{name}: expected {'vulnerable' if vulnerable else 'safe'}, got {found.get(path, [])}"
        for path, (name, cwe, vulnerable) in files.items()
        if is_vulnerable(found.get(path, []), cwe) is not vulnerable
    ]
    assert not wrong, "\n".join(wrong)
