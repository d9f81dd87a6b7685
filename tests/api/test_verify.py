"""`POST /v1/verify`: yes or no, tolerant of spellings, strict on dates and sex, never true for
another person's name."""

import itertools

from tests.api.conftest import Server, residents


def _verify(server: Server, **body: object) -> dict[str, object]:
    with server.client(server.agencies["bank"]) as client:
        answer = client.post("/v1/verify", json=body)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_the_answer_is_a_match_and_nothing_else(server: Server) -> None:
    person = residents(server.engine, 1)[0]
    body = {"uin": person.uin, "family_name": person.family_lat, "date_of_birth": person.birth_date}
    assert _verify(server, **body) == {"match": True}
    assert _verify(server, uin=person.uin, date_of_birth="1900-01-01") == {"match": False}


def test_names_match_in_either_script_and_case(server: Server) -> None:
    for person in residents(server.engine, 10):
        assert person.family_lat and person.given_ar
        body = {"uin": person.uin, "family_name": person.family_lat.upper(), "given_name": person.given_ar}
        assert _verify(server, **body, sex=person.sex, date_of_birth=person.birth_date)["match"]


def test_a_look_alike_given_name_is_a_mismatch(server: Server) -> None:
    person = next(p for p in residents(server.engine, 200) if p.given_lat and p.given_lat[-1] not in "aeiou")
    assert person.given_lat
    assert _verify(server, uin=person.uin, given_name=person.given_lat)["match"]
    assert not _verify(server, uin=person.uin, given_name=person.given_lat + "a")["match"]


def test_another_persons_name_never_matches(server: Server) -> None:
    people = residents(server.engine, 40)
    for a, b in itertools.pairwise(people):
        if {a.given_lat, a.given_ar} & {b.given_lat, b.given_ar}:
            continue
        assert not _verify(server, uin=a.uin, given_name=b.given_lat)["match"]


def test_dates_and_sex_are_strict(server: Server) -> None:
    person = residents(server.engine, 1)[0]
    assert _verify(server, uin=person.uin, date_of_birth=person.birth_date[:4])["match"]
    day = int(person.birth_date[8:]) % 28 + 1
    assert not _verify(server, uin=person.uin, date_of_birth=f"{person.birth_date[:8]}{day:02d}")["match"]
    other = "F" if person.sex == "M" else "M"
    assert not _verify(server, uin=person.uin, sex=other)["match"]


def test_an_unknown_uin_is_a_mismatch_not_an_error(server: Server) -> None:
    from sijill.uin import new_uin

    assert _verify(server, uin=new_uin()) == {"match": False}
