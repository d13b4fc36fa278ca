"""Ticket exports of other tools: presets, --map, --tz, notes (desklib.sources)."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from desklib import records, sources, timefmt
from desklib.records import InputError
from desklib.triage import load_rules, triage

FIX = Path(__file__).resolve().parents[1] / "fixtures"
SRC = FIX / "sources"
UTC = timezone.utc


def read(name, **kw):
    path = SRC / name
    return sources.read_tickets(path.read_text(encoding="utf-8"), path.name, **kw)


def by_id(tickets):
    return {t["id"]: t for t in tickets}


def as_ticket(d):
    """The canonical dict is what records.Ticket takes (source_priority aside)."""
    return records.Ticket(**{k: d[k] for k in records.TICKET_FIELDS})


# ----------------------------------------------------------------------------- the presets file

def test_presets_file_names_every_source():
    presets = sources.load_presets(FIX / "sources.toml")
    assert {"desk", "zendesk", "jira", "servicenow"} <= set(presets)
    assert presets["zendesk"].status["hold"] == "pending"
    assert presets["zendesk"].status["closed"] == "solved"
    assert presets["jira"].fields["id"] == ("Issue key",)


@pytest.mark.parametrize("text, message", [
    ("[x]\nformat = 'json'\n", "sources.toml: [x.fields]: missing"),
    ("[x]\n[x.fields]\nid = 'a'\n", "sources.toml: [x.fields] created_at: missing"),
    ("[x]\n[x.fields]\nid = 'a'\ncreated_at = 'b'\nsubjct = 'c'\n", "sources.toml: [x.fields] subjct: not a desk field"),
    ("[x]\n[x.fields]\nid = 'a'\ncreated_at = 'b'\n[x.status]\nhold = 'paused'\n",
     "sources.toml: [x.status] 'hold': expected one of new, open, pending, solved, got 'paused'"),
    ("[x]\n[x.fields]\nid = 'a'\ncreated_at = 'b'\n[x.status]\nHold = 'pending'\nhold = 'open'\n",
     "sources.toml: [x.status] 'hold': given twice"),
    ("[x]\ndates = ['dd/QQQ/yy']\n[x.fields]\nid = 'a'\ncreated_at = 'b'\n",
     "sources.toml: [x] dates[0]: unknown pattern letters 'QQQ'"),
    ("[x]\nformat = 'xml'\n[x.fields]\nid = 'a'\ncreated_at = 'b'\n", "sources.toml: [x] format: expected one of json, csv, any"),
    ("[x]\nformats = 'csv'\n", "sources.toml: [x]: unknown key 'formats'"),
    ("[x]\nunknown_status = 'later'\n[x.fields]\nid = 'a'\ncreated_at = 'b'\n",
     "sources.toml: [x] unknown_status: expected one of"),
    ("[x]\n[x.fields]\nid = []\ncreated_at = 'b'\n", "sources.toml: [x.fields] id: expected a column name"),
    ("[x\n", "sources.toml:1: TOML syntax: "),
])
def test_a_broken_presets_file_is_one_line_naming_file_and_key(tmp_path, text, message):
    path = tmp_path / "sources.toml"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        sources.load_presets(path)
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_unknown_source_lists_the_known_ones():
    with pytest.raises(InputError, match=r"--from 'freshdesk': unknown source \(one of jira, servicenow, zendesk"):
        sources.get_preset("freshdesk")


# ----------------------------------------------------------------------------- Zendesk

def test_zendesk_api_response_end_to_end():
    tickets, notes = read("zendesk_tickets.json", source="zendesk")
    t = by_id(tickets)
    assert list(t) == ["35436", "35437", "35438", "35439"]          # numeric ids become text, order kept
    assert t["35436"]["subject"] == "Checkout returns 500 for every order"
    assert t["35436"]["created_at"] == datetime(2026, 3, 2, 8, 5, 11, tzinfo=UTC)
    assert t["35436"]["channel"] == "email"                            # via.channel
    assert t["35436"]["customer"] == "5001"                            # organization_id
    assert t["35437"]["customer"] == "81002"                           # no organization: requester_id
    assert [t[i]["status"] for i in t] == ["open", "new", "pending", "solved"]   # hold, closed mapped
    assert [t[i]["source_priority"] for i in t] == ["urgent", None, "normal", "high"]
    assert "status 'hold' read as pending (1 ticket)" in notes
    assert "status 'closed' read as solved (1 ticket)" in notes
    assert "numeric ids read as text (4 tickets)" in notes
    assert "customer from requester_id (no organization_id) (1 ticket)" in notes
    unread = next(n for n in notes if n.startswith("fields not read"))
    assert "updated_at" in unread and "tags" in unread and "description" not in unread
    assert any(n.startswith("fields mapped: body ← description") for n in notes)


def test_zendesk_description_is_the_body_and_triage_reads_it():
    tickets, _ = read("zendesk_tickets.json", source="zendesk")
    invoice = by_id(tickets)["35437"]
    assert invoice["subject"] == "" and invoice["body"] == "How do I export my invoices?"
    result = triage(as_ticket(invoice), load_rules())
    assert result.matched, "the body reached the classifier"
    assert any("how do i" in m for m in result.matched)


@pytest.mark.parametrize("shape", ["array", "jsonl", "pages_jsonl", "single"])
def test_zendesk_other_json_shapes(shape):
    doc = json.loads((SRC / "zendesk_tickets.json").read_text())
    items = doc["tickets"]
    text = {
        "array": json.dumps(items),
        "jsonl": "\n".join(json.dumps(t) for t in items) + "\n",
        "pages_jsonl": "\n".join(json.dumps({"tickets": items[i:i + 2], "next_page": None, "count": 4})
                                 for i in (0, 2)),
        "single": json.dumps({"ticket": items[1]}),
    }[shape]
    tickets, notes = sources.read_tickets(text, "z.json", source="zendesk")
    want = [items[1]] if shape == "single" else items
    assert [t["id"] for t in tickets] == [str(x["id"]) for x in want]
    assert all(t["body"] for t in tickets)
    if shape == "pages_jsonl":
        assert "read 2 pages of an API list response" in notes


def test_zendesk_page_with_more_pages_says_what_is_missing():
    doc = json.loads((SRC / "zendesk_tickets.json").read_text())
    doc["next_page"] = "https://example.zendesk.com/api/v2/tickets.json?page=2"
    doc["count"] = 250
    _, notes = sources.read_tickets(json.dumps(doc), "z.json", source="zendesk")
    assert any("there are more pages" in n and "4 tickets read" in n and "250" in n for n in notes)


def test_zendesk_cursor_page_has_more():
    doc = {"tickets": json.loads((SRC / "zendesk_tickets.json").read_text())["tickets"][:1],
           "meta": {"has_more": True, "after_cursor": "xxx"}, "links": {"next": "https://x"}}
    _, notes = sources.read_tickets(json.dumps(doc), "z.json", source="zendesk")
    assert any("there are more pages" in n for n in notes)


@pytest.mark.parametrize("patch, message", [
    ({"status": "deleted"}, "z.json:tickets[0]: ticket '1': field 'status': unknown status 'deleted'"),
    ({"id": 1.5}, "z.json:tickets[0]: field 'id': expected text or a number, got number 1.5"),
    ({"id": True}, "z.json:tickets[0]: field 'id': expected text or a number, got true/false"),
    ({"id": None}, "z.json:tickets[0]: field 'id': missing"),
    ({"created_at": "2026-03-02 08:00"}, "z.json:tickets[0]: ticket '1': field 'created_at': no UTC offset in '2026-03-02 08:00' (pass --tz"),
    ({"created_at": "yesterday"}, "z.json:tickets[0]: ticket '1': field 'created_at': not a date and time in the zendesk formats"),
    ({"subject": ["a"]}, "z.json:tickets[0]: ticket '1': field 'subject': expected text, got a list"),
])
def test_zendesk_bad_ticket_names_file_record_and_field(patch, message):
    ticket = {"id": 1, "created_at": "2026-03-02T08:00:00Z", "subject": "s", "description": "d", **patch}
    with pytest.raises(InputError) as err:
        sources.read_tickets(json.dumps({"tickets": [ticket]}), "z.json", source="zendesk")
    assert str(err.value).startswith(message)


def test_invalid_json_names_the_line():
    with pytest.raises(InputError, match=r"^z.json:2: invalid JSON"):
        sources.read_tickets('{"tickets": [\n  {"id": 1,,}\n]}', "z.json", source="zendesk")
    with pytest.raises(InputError, match=r"^z.json:2: invalid JSON"):
        sources.read_tickets('{"id": 1, "created_at": "2026-03-02T08:00:00Z"}\n{"id": 2,\n', "z.json",
                             source="zendesk")


# ----------------------------------------------------------------------------- Jira

def test_jira_needs_a_time_zone_and_says_so():
    with pytest.raises(InputError) as err:
        read("jira_export.csv", source="jira")
    assert str(err.value) == ("jira_export.csv:2: ticket 'OPS-11': field 'created_at': no UTC offset in "
                              "'29/Sep/21 09:02' (pass --tz, e.g. --tz Europe/Berlin)")


def test_jira_line_numbers_count_multi_line_cells():
    text = (SRC / "jira_export.csv").read_text().replace("30/Sep/21 17:20", "31/Sep/21 17:20")
    with pytest.raises(InputError, match=r"^jira.csv:4: ticket 'OPS-12': field 'created_at': not a date"):
        sources.read_tickets(text, "jira.csv", source="jira", tz="Europe/Berlin")


def test_jira_export_end_to_end():
    tickets, notes = read("jira_export.csv", source="jira", tz="Europe/Berlin")
    t = by_id(tickets)
    assert list(t) == ["OPS-11", "OPS-12", "OPS-13", "OPS-14"]
    assert t["OPS-12"]["created_at"] == datetime(2021, 9, 30, 15, 20, tzinfo=UTC)     # CEST = UTC+2
    assert t["OPS-13"]["resolved_at"] == datetime(2021, 10, 2, 14, 30, tzinfo=UTC)
    assert t["OPS-11"]["body"].startswith("Since the client update") and "\n" in t["OPS-11"]["body"]
    assert t["OPS-12"]["body"] == 'Password reset link says "expired", even right after requesting it.'
    assert [t[i]["status"] for i in t] == ["open", "pending", "solved", "open"]
    assert t["OPS-11"]["customer"] == "marta.s" and t["OPS-11"]["source_priority"] == "High"
    unread = next(n for n in notes if n.startswith("columns not read"))
    assert "Labels ×3" in unread and "Watchers ×2" in unread and "Comment" in unread
    assert "status 'In Review' is not in [jira.status]: read as open (1 ticket)" in notes
    assert "status 'Done' read as solved (1 ticket)" in notes
    assert "times without a UTC offset read in Europe/Berlin (5 values)" in notes
    assert all(as_ticket(x).text.strip() for x in tickets)


JIRA_HEADER = "Issue key,Summary,Created,Status\n"


@pytest.mark.parametrize("written, utc", [
    ("30/Sep/21 5:20 PM", datetime(2021, 9, 30, 15, 20, tzinfo=UTC)),
    ("30/Sep/21 12:05 AM", datetime(2021, 9, 29, 22, 5, tzinfo=UTC)),
    ("30/Sep/21 12:05 PM", datetime(2021, 9, 30, 10, 5, tzinfo=UTC)),
    ("30/sep/2021 17:20", datetime(2021, 9, 30, 15, 20, tzinfo=UTC)),
    ("2021-09-30 17:20", datetime(2021, 9, 30, 15, 20, tzinfo=UTC)),
    ("2021-09-30T17:20:00+00:00", datetime(2021, 9, 30, 17, 20, tzinfo=UTC)),     # an offset wins over --tz
])
def test_jira_date_formats(written, utc):
    text = JIRA_HEADER + f"OPS-1,x,{written},Done\n"
    tickets, _ = sources.read_tickets(text, "j.csv", source="jira", tz="Europe/Berlin")
    assert tickets[0]["created_at"] == utc


def test_a_repeated_column_the_desk_reads_is_refused():
    text = "Issue key,Summary,Summary,Created\nOPS-1,a,b,30/Sep/21 17:20\n"
    with pytest.raises(InputError, match=r"^j.csv:1: header: column 'Summary' \(subject\) appears 2 times"):
        sources.read_tickets(text, "j.csv", source="jira", tz="UTC")


@pytest.mark.parametrize("text, message", [
    ('Issue key,Summary,Created\nOPS-1,"site down,30/Sep/21 17:20\nOPS-2,x,30/Sep/21 17:20\n',
     r"^j.csv:\d+: malformed CSV .*unterminated quote"),
    ("Issue key,Summary,Created\nOPS-1,a,30/Sep/21 17:20,extra\n", r"^j.csv:2: 4 values but the header has 3 columns"),
    ("Key,Summary,Created\nOPS-1,a,30/Sep/21 17:20\n", r"^j.csv:1: header: no column 'Issue key' for id"),
])
def test_malformed_csv(text, message):
    with pytest.raises(InputError, match=message):
        sources.read_tickets(text, "j.csv", source="jira", tz="UTC")


# ----------------------------------------------------------------------------- ServiceNow

def test_servicenow_export_end_to_end():
    tickets, notes = read("servicenow_incidents.csv", source="servicenow", tz="America/New_York")
    t = by_id(tickets)
    assert t["INC0010001"]["created_at"] == datetime(2021, 9, 30, 21, 20, tzinfo=UTC)   # EDT = UTC-4
    assert t["INC0010002"]["source_priority"] == "1 - Critical"
    assert t["INC0010001"]["channel"] == "phone"
    assert t["INC0010003"]["customer"] == "Don Goodliffe"          # no company: the caller
    assert t["INC0010003"]["body"] == "" and t["INC0010003"]["subject"] == "Request a new monitor"
    assert [t[i]["status"] for i in t] == ["open", "new", "pending", "solved"]
    assert t["INC0010004"]["resolved_at"] == datetime(2021, 10, 1, 15, 15, tzinfo=UTC)
    assert "customer from caller_id (no company) (1 ticket)" in notes
    assert "status 'On Hold' read as pending (1 ticket)" in notes
    assert not any("'New'" in n for n in notes)                     # a change of letter case is no news


def test_servicenow_export_with_column_labels():
    text = ('"Number","Opened","Short description","Description","Caller","State","Priority"\n'
            '"INC0010009","2021-10-03 09:00:00","VPN down","All remote staff offline","Beth Anglin","2","2 - High"\n')
    tickets, notes = sources.read_tickets(text, "sn.csv", source="servicenow", tz="UTC")
    assert tickets[0] == {"id": "INC0010009", "created_at": datetime(2021, 10, 3, 9, 0, tzinfo=UTC),
                          "subject": "VPN down", "body": "All remote staff offline", "customer": "Beth Anglin",
                          "channel": None, "status": "open", "first_response_at": None, "resolved_at": None,
                          "source_priority": "2 - High"}
    assert "status '2' read as open (1 ticket)" in notes


# ----------------------------------------------------------------------------- --map

HELPDESK_MAP = ["id=Ticket #", "created_at=Opened", "subject=Title", "body=Details", "customer=Client",
                "channel=Via"]


def test_generic_csv_with_map():
    tickets, notes = read("helpdesk_export.csv", columns=HELPDESK_MAP, tz="Europe/Berlin")
    t = by_id(tickets)
    assert t["HD-1001"]["created_at"] == datetime(2026, 3, 2, 8, 15, tzinfo=UTC)
    assert t["HD-1001"]["subject"] == "Site down" and t["HD-1001"]["customer"] == "acme"
    assert t["HD-1002"]["subject"] == "" and t["HD-1002"]["body"] == ""          # no text: still a ticket
    assert as_ticket(t["HD-1002"]).text == "\n"
    assert "no text at all (no subject, no body): valid, goes to a human (1 ticket)" in notes
    assert "no status: read as new (3 tickets)" in notes
    assert any(n.startswith("columns mapped: id ← Ticket #") for n in notes)


def test_map_as_a_dict_and_overriding_a_preset():
    text = JIRA_HEADER.replace("\n", ",Custom field (Customer)\n") + "OPS-1,x,30/Sep/21 17:20,Done,acme\n"
    tickets, _ = sources.read_tickets(text, "j.csv", source="jira", tz="UTC",
                                      columns={"customer": "Custom field (Customer)"})
    assert tickets[0]["customer"] == "acme"


@pytest.mark.parametrize("items, message", [
    (["id"], r"^--map 'id': expected field=Column"),
    (["subjct=Title"], r"^--map subjct=Title: 'subjct' is not a desk field \(did you mean subject\?"),
    (["body="], r"^--map body=: the column name is empty"),
    (["body=A", "body=B"], r"^--map body: given twice"),
])
def test_bad_map(items, message):
    with pytest.raises(InputError, match=message):
        sources.parse_map(items)


def test_a_mapped_column_missing_from_the_header_names_a_near_miss():
    text = "Ticket #,Opened,Details\nHD-1,2026-03-02T09:00:00Z,x\n"
    with pytest.raises(InputError, match=r"^h.csv:1: header: no column 'Detail' for body "
                                         r"\(the file has 'Details'\); name it with --map body=COLUMN$"):
        sources.read_tickets(text, "h.csv", columns={"id": "Ticket #", "created_at": "Opened", "body": "Detail"})


def test_near_miss_columns_are_named_in_the_notes():
    text = "id,created_at,Subject,body\nt1,2026-03-02T09:00:00Z,Site down,\n"
    tickets, notes = sources.read_tickets(text, "t.csv")
    assert tickets[0]["subject"] == ""
    assert "near misses: 'Subject' looks like subject (--map subject=Subject)" in notes


def test_the_desks_own_format_passes_through():
    path = FIX / "tickets.jsonl"
    tickets, notes = sources.read_tickets(path.read_text(), path.name)
    want = records.load_tickets(path)
    assert [as_ticket(t) for t in tickets] == want
    assert not any(n.startswith("fields not read") for n in notes)


# ----------------------------------------------------------------------------- time zones

def test_a_bad_time_zone_is_one_line():
    with pytest.raises(InputError) as err:
        read("jira_export.csv", source="jira", tz="Europe/Berln")
    assert str(err.value).startswith("--tz 'Europe/Berln': unknown time zone")


@pytest.mark.parametrize("tz, written, utc, note", [
    # Europe/Berlin: 28 Mar 2021 02:00 -> 03:00 (skipped), 31 Oct 2021 03:00 -> 02:00 (repeated)
    ("Europe/Berlin", "28/Mar/21 02:30", datetime(2021, 3, 28, 1, 30, tzinfo=UTC), "skips"),
    ("Europe/Berlin", "31/Oct/21 02:30", datetime(2021, 10, 31, 0, 30, tzinfo=UTC), "repeats"),
    # America/New_York: 14 Mar 2021 02:00 -> 03:00, 7 Nov 2021 02:00 -> 01:00
    ("America/New_York", "14/Mar/21 02:30", datetime(2021, 3, 14, 7, 30, tzinfo=UTC), "skips"),
    ("America/New_York", "07/Nov/21 01:30", datetime(2021, 11, 7, 5, 30, tzinfo=UTC), "repeats"),
    ("Europe/Berlin", "28/Mar/21 03:30", datetime(2021, 3, 28, 1, 30, tzinfo=UTC), None),
])
def test_daylight_saving_hours_read_with_fold_0_and_noted(tz, written, utc, note):
    tickets, notes = sources.read_tickets(JIRA_HEADER + f"OPS-1,x,{written},Done\n", "j.csv", source="jira", tz=tz)
    assert tickets[0]["created_at"] == utc
    dst = [n for n in notes if "clocks" in n]
    if note:
        assert len(dst) == 1 and f"the hour {tz} {note}" in dst[0] and dst[0].endswith("(1 value)")
    else:
        assert not dst


# ----------------------------------------------------------------------------- order independence

ZENDESK = json.loads((SRC / "zendesk_tickets.json").read_text())["tickets"]


@settings(max_examples=40, deadline=None)
@given(st.permutations(range(len(ZENDESK))))
def test_input_order_changes_only_the_order(perm):
    base, base_notes = sources.convert_tickets([(i, t) for i, t in enumerate(ZENDESK)], "z", source="zendesk")
    rows = [(i, ZENDESK[i]) for i in perm]
    tickets, notes = sources.convert_tickets(rows, "z", source="zendesk")
    assert tickets == [base[i] for i in perm]
    assert notes == base_notes


def test_json_keys_that_no_ticket_has():
    tickets = [{"id": "t1", "created_at": "2026-03-02T09:00:00Z", "title": "Site down"}]
    with pytest.raises(InputError, match=r"^t.jsonl: no ticket has the key 'Title' \(--map subject=Title\)"):
        sources.read_tickets(json.dumps(tickets), "t.jsonl", columns=["subject=Title"])
    out, notes = sources.read_tickets(json.dumps(tickets), "t.jsonl", columns=["subject=title"])
    assert out[0]["subject"] == "Site down"
    assert "no ticket has, left empty: body, customer, channel, status, first_response_at, resolved_at" in notes


@pytest.mark.parametrize("text, message", [
    ("[" * 100000 + "]" * 100000, r"^z.json:1: JSON nested too deeply"),
    ('{"tickets": [{"id": ' + "9" * 5000 + "}]}", r"^z.json:1: unreadable JSON value"),
])
def test_hostile_json_is_one_line(text, message):
    with pytest.raises(InputError, match=message):
        sources.read_tickets(text, "z.json", source="zendesk")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["good", "bad_status", "bad_time", "no_id"]), min_size=1, max_size=12))
def test_on_error_sets_bad_tickets_aside_and_accounts_for_every_one(kinds):
    rows = []
    for i, kind in enumerate(kinds):
        t = {"id": i, "created_at": "2026-03-02T08:00:00Z", "description": f"text {i}", "status": "hold"}
        if kind == "bad_status":
            t["status"] = "deleted"
        elif kind == "bad_time":
            t["created_at"] = "soon"
        elif kind == "no_id":
            del t["id"]
        rows.append((f"tickets[{i}]", t))
    aside = []
    tickets, notes = sources.convert_tickets(rows, "z.json", source="zendesk",
                                             on_error=lambda where, raw, exc: aside.append((where, str(exc))))
    good = [i for i, k in enumerate(kinds) if k == "good"]
    assert [t["id"] for t in tickets] == [str(i) for i in good]
    assert len(tickets) + len(aside) == len(kinds)
    assert all(msg.startswith(f"z.json:{where}") for where, msg in aside)
    if good:      # notes count only the tickets kept
        assert f"status 'hold' read as pending ({len(good)} ticket{'s' if len(good) != 1 else ''})" in notes
    else:
        assert not any(n.startswith("status 'hold'") for n in notes)


def test_read_rows_keeps_where_each_ticket_came_from():
    pairs, _ = sources.read_rows((SRC / "jira_export.csv").read_text(), "jira.csv", source="jira", tz="UTC")
    assert [(where, t["id"]) for where, t in pairs] == [(2, "OPS-11"), (4, "OPS-12"), (5, "OPS-13"), (6, "OPS-14")]
    pairs, _ = sources.read_rows((SRC / "zendesk_tickets.json").read_text(), "z.json", source="zendesk")
    assert [where for where, _ in pairs] == ["tickets[0]", "tickets[1]", "tickets[2]", "tickets[3]"]


# ----------------------------------------------------------------------------- date patterns

@pytest.mark.parametrize("text, pattern, want", [
    ("30/Sep/21 5:20 PM", "dd/MMM/yy h:mm a", datetime(2021, 9, 30, 17, 20)),
    ("30/Sep/21 12:00 AM", "dd/MMM/yy h:mm a", datetime(2021, 9, 30, 0, 0)),
    ("30/Sep/21 12:00 PM", "dd/MMM/yy h:mm a", datetime(2021, 9, 30, 12, 0)),
    ("30 September 2021 17:20", "dd MMMM yyyy HH:mm", datetime(2021, 9, 30, 17, 20)),
    ("2021-09-30 17:20:05.250", "yyyy-MM-dd HH:mm:ss.SSS", datetime(2021, 9, 30, 17, 20, 5, 250000)),
    ("31/Sep/21 17:20", "dd/MMM/yy HH:mm", None),          # no such day
    ("30/Sex/21 17:20", "dd/MMM/yy HH:mm", None),          # no such month
    ("30/Sep/21 13:20 PM", "dd/MMM/yy h:mm a", None),      # 13 o'clock PM
    ("30/Sep/21 17:20 extra", "dd/MMM/yy HH:mm", None),
])
def test_java_style_date_patterns(text, pattern, want):
    assert timefmt.parse_local(text, pattern) == want


def test_unknown_pattern_letters():
    with pytest.raises(ValueError, match="unknown pattern letters 'QQ'"):
        timefmt.compile_format("dd/QQ/yy")
