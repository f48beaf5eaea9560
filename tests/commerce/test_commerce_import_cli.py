"""``helpline import orders FILE.csv`` / ``import events FILE.jsonl``: good
rows stored (idempotent on a second run), bad rows reported with their line
numbers and reasons, the rest still imported."""

import json
from decimal import Decimal

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo

from app.cli import main
from app.models import Order, Profile, ProfileEvent
from app.services import identities

HEADER = (
    "order_id,order_name,placed_at,updated_at,status,financial_status,fulfillment_status,currency,order_total,"
    "customer_id,customer_email,customer_phone,customer_name,line_id,line_title,sku,quantity,unit_price,line_total\n"
)


@pytest.fixture
def cli(app):
    def invoke(*args):
        return CliRunner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))

    return invoke


def write(tmp_path, name, text, mode="w"):
    path = tmp_path / name
    if mode == "wb":
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return str(path)


def test_orders_csv_is_imported_and_a_rerun_changes_nothing(cli, tmp_path):
    path = write(
        tmp_path,
        "orders.csv",
        HEADER + "1001,#1001,2025-10-01T10:00:00Z,2025-10-01T10:00:00Z,open,paid,,EUR,,c-1,ana@example.net,,Ana García,"
        "1001-1,Blue mug,MUG-B,2,12.50,\n"
        "1001,,,,,,,,,,,,,1001-2,Saucer,,1,4,\n"
        "1002,#1002,2025-11-05,2025-11-05,cancelled,refunded,,EUR,19.90,c-1,ana@example.net,,,1002-1,Tea,,1,19.90,\n"
        "1003,#1003,2025-12-24T18:30:00+01:00,,open,paid,fulfilled,USD,99.00,,ben@example.net,+1 415 555 0101,"
        '"Carter, Ben",1003-1,"Wool blanket, grey",WB,1,99.00,99.00\n',
    )
    result = cli("import", "orders", path, "--source", "woocommerce")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "orders.csv: orders 3 created."
    first = Order.get(Order.external_id == "1001")
    assert first.source == "woocommerce" and first.total == Decimal("29.00")
    assert [(x["title"], x["quantity"], x["total"]) for x in first.lines] == [
        ("Blue mug", 2, "25.00"),
        ("Saucer", 1, "4.00"),
    ]
    assert identities.find_profile("woocommerce", "c-1").email == "ana@example.net"
    ben = Order.get(Order.external_id == "1003").profile
    assert (ben.name, ben.phone) == ("Carter, Ben", "+14155550101")
    assert Order.get(Order.external_id == "1003").placed_at.isoformat() == "2025-12-24T17:30:00"

    again = cli("import", "orders", path, "--source", "woocommerce")
    assert again.exit_code == 0 and again.output.strip() == "orders.csv: orders 3 updated."
    assert Order.select().count() == 3 and Profile.select().count() == 2


def test_bad_order_rows_are_reported_by_line_and_the_rest_imported(cli, tmp_path):
    path = write(
        tmp_path,
        "orders.csv",
        HEADER + "2001,#2001,2025-10-01,,open,,,EUR,,,,,,2001-1,Mug,,2,12.50,\n"  # no customer
        "2002,#2002,not a date,,open,,,EUR,,,x@example.net,,,2002-1,Mug,,1,5,\n"
        "2003,#2003,2025-10-01,,open,,,EUR,,,y@example.net,,,2003-1,Mug,,two,5,\n"
        "2003,,,,,,,,,,,,,2003-2,Saucer,,1,4,\n"
        "2004,#2004,2025-10-01,,open,,,EURO,,,z@example.net,,,2004-1,Mug,,1,5,\n"
        ",,,,,,,,,,,,,,,,,,\n"
        "2005,#2005,2025-10-01,,open,,,EUR,,,ok@example.net,,,2005-1,Mug,,1,5,\n"
        "2001,#2001,2025-10-01,,open,,,EUR,,,late@example.net,,,2001-9,Mug,,1,5,\n",
    )
    result = cli("import", "orders", path)
    assert result.exit_code == 1
    assert result.stdout.strip() == "orders.csv: orders 1 created."
    assert result.stderr.splitlines() == [
        "6 rejected:",
        "  line 2: order 2001 (lines 2): customer_id: Give the customer's id, email or phone.",
        "  line 3: order 2002 (lines 3): placed_at: Not a valid datetime.",
        "  line 4: order 2003 (lines 4, 5): quantity: Not a valid integer.",
        "  line 6: order 2004 (lines 6): currency: Use a three-letter currency code.",
        "  line 7: order_id: Missing data for required field.",
        "  line 9: order 2001: its rows must be next to each other.",
    ]
    assert [o.external_id for o in Order.select()] == ["2005"]


def test_a_wrong_header_is_refused_before_anything_is_stored(cli, tmp_path):
    path = write(tmp_path, "orders.csv", "id,total\n1,2\n")
    result = cli("import", "orders", path)
    assert result.exit_code == 1
    assert "missing columns: order_id, placed_at, currency; unknown columns: id, total" in result.output
    assert Order.select().count() == 0


def test_a_bad_source_is_refused(cli, tmp_path):
    result = cli("import", "orders", write(tmp_path, "orders.csv", HEADER), "--source", "Woo Commerce")
    assert result.exit_code == 2 and "--source" in result.output


def event_line(n, **extra):
    return json.dumps(
        {
            "external_id": f"ev-{n}",
            "metric": "Viewed Product",
            "occurred_at": "2025-12-01T08:00:00Z",
            "customer": {"email": "ana@example.net"},
            "properties": {"product": "Blue mug", "price": 12.5},
            **extra,
        }
    )


def test_events_jsonl_with_good_and_bad_lines(cli, tmp_path):
    lines = [
        event_line(1),
        event_line(2, metric="Added to Cart"),
        "",
        "{not json",
        event_line(3, customer={}),
        "[1, 2]",
        event_line(4, properties={"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}),
        event_line(5, colour="blue"),
        event_line(1),
    ]
    path = write(tmp_path, "events.jsonl", "\n".join(lines) + "\n")
    result = cli("import", "events", path, "--source", "klaviyo")
    assert result.exit_code == 1
    assert result.stdout.strip() == "events.jsonl: events 2 created."
    assert result.stderr.splitlines()[0] == "5 rejected:"
    reasons = dict(line.strip().split(": ", 1) for line in result.stderr.splitlines()[1:])
    assert reasons["line 4"].startswith("not valid JSON")
    assert reasons["line 5"] == "customer.external_id: Give the customer's id, email or phone."
    assert reasons["line 6"] == "each line must be a JSON object."
    assert reasons["line 7"] == "properties: Properties nest at most 5 levels deep."
    assert reasons["line 8"] == "colour: Unknown field."
    assert ProfileEvent.select().where(ProfileEvent.source == "klaviyo").count() == 2

    again = cli("import", "events", write(tmp_path, "again.jsonl", event_line(1) + "\n"), "--source", "klaviyo")
    assert again.exit_code == 0 and again.output.strip() == "again.jsonl: events 1 already stored."


def test_a_file_that_is_not_utf8_is_reported(cli, tmp_path):
    path = write(tmp_path, "events.jsonl", (event_line(1) + "\n").encode() + b"\xff\xfe\n", mode="wb")
    result = cli("import", "events", path)
    assert result.exit_code == 1
    assert "line 2: the line is not UTF-8 text." in result.stderr
    assert ProfileEvent.select().count() == 1


def test_large_imports_go_in_batches(cli, tmp_path):
    rows = "".join(
        f"{n},#{n},2025-10-01,,open,,,EUR,,c-{n % 40},buyer{n % 40}@example.net,,,{n}-1,Mug,,1,5,\n"
        for n in range(1, 451)
    )
    result = cli("import", "orders", write(tmp_path, "orders.csv", HEADER + rows))
    assert result.exit_code == 0, result.output
    assert Order.select().count() == 450 and Profile.select().count() == 40


def test_the_documented_examples_import_as_documented(cli, tmp_path):
    import pathlib
    import re

    doc = (pathlib.Path(__file__).resolve().parents[2] / "docs" / "commerce.md").read_text()
    csv_text = re.search(r"```csv\n(.*?)```", doc, re.S).group(1)
    jsonl_text = re.search(r"\*\*events\.jsonl\*\*.*?```json\n(.*?)```", doc, re.S).group(1)
    orders = cli("import", "orders", write(tmp_path, "orders.csv", csv_text), "--source", "woocommerce")
    assert orders.exit_code == 0 and orders.output.strip() == "orders.csv: orders 2 created.", orders.output
    assert [len(o.lines) for o in Order.select().order_by(Order.external_id)] == [2, 1]
    assert Order.get(Order.external_id == "1002").lines[0]["title"] == "Wool blanket, grey"
    events = cli("import", "events", write(tmp_path, "events.jsonl", jsonl_text), "--source", "klaviyo")
    assert events.exit_code == 0 and events.output.strip() == "events.jsonl: events 2 created.", events.output
    assert ProfileEvent.select().count() == 2 and Profile.select().count() == 1, "both events are Ana's (by email)"
