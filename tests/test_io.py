"""Reading messy exports and writing outputs atomically."""

import pandas as pd
import pytest

from safetylens._classify import find_text_column
from safetylens._formula import neutralise_formula
from safetylens._readers import iter_table, read_table
from safetylens._writers import TableWriter, atomic_path, check_not_same_file
from safetylens.exceptions import DataValidationError, InputFormatError

ROWS = [("1", "Café: pt’s notes not sent – ward 3"), ("2", "EPR down"), ("3", "")]


def write_csv(path, encoding, bom=False):
    body = "id,description\r\n" + "".join(f'{i},"{t}"\r\n' for i, t in ROWS)
    data = body.encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


@pytest.mark.parametrize(
    ("encoding", "bom"), [("utf-8", False), ("utf-8", True), ("cp1252", False)]
)
def test_csv_encodings_read_the_same_text(tmp_path, encoding, bom):
    frame = read_table(write_csv(tmp_path / "r.csv", encoding, bom))
    assert frame.columns.tolist() == ["id", "description"]
    assert list(frame.itertuples(index=False, name=None)) == ROWS


def test_utf8_file_with_stray_windows_1252_bytes(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes("id,description\n1,café ok\n".encode() + b"2,don\x92t know \x96 pt\n")
    assert read_table(path)["description"].tolist() == ["café ok", "don’t know – pt"]


def test_everything_is_read_as_text(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("id,code,description\n007,NA,x\n010,,y\n")
    frame = read_table(path)
    assert frame["id"].tolist() == ["007", "010"]
    assert frame["code"].tolist() == ["NA", ""]


def test_excel_with_a_merged_title_row(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws["A1"] = "Datix export - incidents Q1"
    ws.merge_cells("A1:C1")
    ws.append(["Ref", "Incident date", "Describe what happened"])
    ws.append([101, "03/04/2021", "pt fell"])
    ws.append([102, "04/04/2021", "wrong wristband"])
    path = tmp_path / "x.xlsx"
    wb.save(path)
    frame = read_table(path)
    assert frame.columns.tolist() == ["Ref", "Incident date", "Describe what happened"]
    assert frame.values.tolist() == [
        ["101", "03/04/2021", "pt fell"],
        ["102", "04/04/2021", "wrong wristband"],
    ]


def test_parquet_and_jsonl(tmp_path):
    frame = pd.DataFrame({"id": [1, 2], "text": ["a b", None]})
    frame.to_parquet(tmp_path / "p.parquet")
    assert read_table(tmp_path / "p.parquet").values.tolist() == [["1", "a b"], ["2", ""]]
    (tmp_path / "j.jsonl").write_text('{"id": 1, "text": "x"}\n\n{"id": 2, "text": "y"}\n')
    assert read_table(tmp_path / "j.jsonl")["text"].tolist() == ["x", "y"]


def test_duplicate_columns_keep_their_header(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("id,text,text\n1,a,b\n")
    table = iter_table(path)
    assert table.columns == ["id", "text", "text"]
    assert next(iter(table)).columns.tolist() == ["id", "text", "text.1"]


def test_chunks_cover_every_row_in_order(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("id,text\n" + "".join(f"{i},row {i}\n" for i in range(25)))
    chunks = list(iter_table(path, chunk_size=10))
    assert [len(c) for c in chunks] == [9, 10, 6]  # the header is row 1 of chunk 1
    assert pd.concat(chunks)["id"].tolist() == [str(i) for i in range(25)]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        (b"", "the file is empty"),
        (b"id,description\n", "no data rows"),
        (b"\x00\x01\x02\x03" * 100, "binary"),
        (b'id,description\n1,"never closed\n', "never closed"),
        (b"id,description\n1,a,b,c\n", "line 2 has 4 fields"),
    ],
)
def test_unusable_csv_gives_one_line_errors(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputFormatError, match=message) as err:
        read_table(path)
    assert "\n" not in str(err.value)
    assert "bad.csv" in str(err.value)


def test_unknown_suffix():
    with pytest.raises(InputFormatError, match="unknown file type '.pdf'"):
        read_table("report.pdf")


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (["Ref", "description"], "description"),
        (["Ref", "Describe what happened"], "Describe what happened"),
        (["IN01", "IN07"], "IN07"),
        (["F001", "F002"], "F001"),
        (["ref", "Incident Description (free text)"], "Incident Description (free text)"),
        (["id", "TEXT"], "TEXT"),
    ],
)
def test_text_column_found_among_export_names(columns, expected):
    assert find_text_column(columns) == expected


def test_no_text_column_lists_the_columns():
    with pytest.raises(DataValidationError, match="pass --text-col. Columns are: 'a', 'b'"):
        find_text_column(["a", "b"], source="x.csv")
    with pytest.raises(DataValidationError, match="no column named 'zzz'"):
        find_text_column(["a", "b"], "zzz")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("=1+2", "'=1+2"),
        ("+447700", "+447700"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-1", "-1"),
        ("-rm", "'-rm"),
        ("\tx", "'\tx"),
        ("ok", "ok"),
        ("", ""),
    ],
)
def test_formula_neutralising(cell, expected):
    assert neutralise_formula(cell) == expected


def test_atomic_path_leaves_nothing_on_error(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("partial")
            raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_writer_abort_keeps_target_absent(tmp_path):
    target = tmp_path / "o.jsonl"
    with pytest.raises(KeyboardInterrupt):
        with TableWriter(target, "jsonl") as writer:
            writer.write(pd.DataFrame({"a": [1]}))
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_writing_over_the_input_is_refused(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("a\n1\n")
    with pytest.raises(DataValidationError, match="overwrite the input"):
        check_not_same_file(path, tmp_path / "." / "in.csv")
