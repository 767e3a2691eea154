"""classify --scheduler: chunks labelled on a Dask cluster, written here in order."""

from __future__ import annotations

import pandas as pd
import pytest

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as local:
        yield local


def test_a_cluster_gives_the_same_file_as_one_process(tmp_path, cluster):
    from safetylens._classify import classify_file

    texts = ["EPR down all night", "wrong wristband", "pt fell", "", "notes not sent"] * 9
    source = tmp_path / "in.csv"
    pd.DataFrame({"ref": range(len(texts)), "description": texts}).to_csv(source, index=False)
    local = classify_file(source, tmp_path / "local.csv", model="fast", chunk_size=4)
    remote = classify_file(
        source,
        tmp_path / "dask.csv",
        model="fast",
        chunk_size=4,
        scheduler=cluster.scheduler_address,
    )
    assert remote.rows_read == remote.rows_written == local.rows_written == len(texts)
    assert (tmp_path / "dask.csv").read_bytes() == (tmp_path / "local.csv").read_bytes()


def test_an_unreachable_scheduler_is_one_plain_error(tmp_path):
    from safetylens._classify import classify_file
    from safetylens.exceptions import DataValidationError

    source = tmp_path / "in.csv"
    source.write_text("description\nEPR down\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match="cannot reach the Dask scheduler"):
        classify_file(source, tmp_path / "o.csv", model="fast", scheduler="tcp://127.0.0.1:1")
    assert not (tmp_path / "o.csv").exists()
