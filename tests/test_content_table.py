"""The content table's contract: ids, files read through the trust boundary, clear errors."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import DEALS_CSV, EVENTS_CSV, write_workspace

from playbook.exceptions import DataError
from playbook.workspace import privacy
from playbook.workspace.load import input_files, load_workspace

ACTIVITIES_CSV = """deal_id,at,type,actor_id,content_id
D1,2026-03-02,email,R1,C1
D1,2026-03-06,meeting,R1,C2
D2,2026-03-03,call,R1,
"""


def _workspace(tmp_path, content: str, activities: str = ACTIVITIES_CSV, **files):
    return write_workspace(
        tmp_path / "ws",
        {
            "deals.csv": DEALS_CSV,
            "stage_events.csv": EVENTS_CSV,
            "activities.csv": activities,
            "content.csv": content,
            **files,
        },
    )


def _problems(folder) -> list:
    with pytest.raises(DataError) as err:
        load_workspace(folder)
    return err.value.problems


def _docx(path, paragraphs: list[str]) -> None:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    document.save(str(path))


def _pdf(path, text: str) -> None:
    """A one-page PDF whose text layer holds ``text`` (ASCII), written by hand."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    path.write_bytes(bytes(out))


def test_bodies_and_files_become_text(tmp_path):
    folder = _workspace(
        tmp_path,
        "content_id,type,title,language,body,path,tags,owner\n"
        "C1,email_template,First contact,en,Hello {name},,intro,M01\n"
        "C2,agenda,安全评审议程,zh,,agenda.md,安全,M02\n"
        "C3,proposal_template,ROI proposal,en,,proposal.docx,roi,M01\n"
        "C4,case_study,Rollout story,en,,case.pdf,case,M03\n",
    )
    (folder / "agenda.md").write_bytes("# 安全评审\n1. 数据合规".encode("gb18030"))
    _docx(folder / "proposal.docx", ["Return on investment", "Payback in 9 months"])
    _pdf(folder / "case.pdf", "Rollout in 40 plants")
    data = load_workspace(folder)
    body = data.content.set_index("content_id")["body"]
    assert body["C1"] == "Hello {name}"
    assert "数据合规" in body["C2"]  # GB18030 text file decoded
    assert "Payback in 9 months" in body["C3"]
    assert "Rollout in 40 plants" in body["C4"]
    assert data.activities["content_id"].tolist()[:2] == ["C1", "C2"]
    # the files read are inputs of the run: the manifest hashes them
    names = {p.name for p in input_files(folder, data.config)}
    assert {"content.csv", "agenda.md", "proposal.docx", "case.pdf"} <= names


def test_unknown_and_duplicate_ids_and_unreadable_files_are_listed_together(tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text("not for the workspace", encoding="utf-8")
    folder = _workspace(
        tmp_path,
        "content_id,type,title,body,path\n"
        "C1,email_template,First contact,Hello,\n"
        "C1,email_template,Duplicate,Hello again,\n"
        "C2,agenda,Agenda,,missing.docx\n"
        "C3,script,Script,,broken.pdf\n"
        f"C4,script,Outside,,{outside}\n"
        "C5,script,Picture,,photo.png\n"
        "C6,script,Both,Some text,notes.txt\n",
        activities=ACTIVITIES_CSV + "D2,2026-03-04,email,R1,C9\n",
        **{
            "broken.pdf": b"%PDF-1.4 this is not a real pdf",
            "photo.png": b"\x89PNG",
            "notes.txt": "x",
        },
    )
    problems = _problems(folder)
    found = {(p.file, p.row, p.column, p.message.split(",")[0]) for p in problems}
    assert ("content.csv", 3, "content_id", "duplicate content_id") in found
    assert ("content.csv", 4, "path", "file not found") in found
    assert ("activities.csv", 5, "content_id", "content_id not found in the content table") in found
    by_row = {p.row: p for p in problems if p.file == "content.csv" and p.column == "path"}
    assert "cannot be read" in by_row[5].message or "no text" in by_row[5].message
    assert "outside the workspace" in by_row[6].message and "--allow-path" in by_row[6].fix
    assert "not for the workspace" not in str(DataError(problems))  # never opened
    assert by_row[7].message == "unsupported file type '.png'"
    assert by_row[8].message == "the item gives both a body and a path"


def test_content_ids_without_a_content_table_are_one_problem(tmp_path):
    folder = write_workspace(
        tmp_path / "ws",
        {"deals.csv": DEALS_CSV, "stage_events.csv": EVENTS_CSV, "activities.csv": ACTIVITIES_CSV},
    )
    problems = _problems(folder)
    assert len(problems) == 1
    assert problems[0].file == "activities.csv" and "no content table" in problems[0].message


def test_a_workspace_without_content_loads_as_before(tiny_workspace):
    data = load_workspace(tiny_workspace)
    assert data.content is None and "content" not in data.present()


def test_content_owners_are_pseudonymised_like_staff():
    tables = {
        "deals": pd.DataFrame({"deal_id": ["D1"], "owner_id": ["R1"]}),
        "content": pd.DataFrame(
            {"content_id": ["C1", "C2"], "owner": ["R1", "Li Wei"], "body": ["a", "b"]}
        ),
    }
    out = privacy.anonymise_tables(tables, "k" * 64)
    owners = out["content"]["owner"].tolist()
    assert owners[0] == out["deals"]["owner_id"].iloc[0] and owners[0].startswith("Rep-")
    assert owners[1].startswith("Staff-") and "Li Wei" not in owners
    assert out["content"]["content_id"].tolist() == ["C1", "C2"]
