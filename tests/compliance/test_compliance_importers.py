"""List importers: OFAC legacy CSV, UN XML, PEP CSV; versions, atomic flips, refusals."""

from __future__ import annotations

import threading
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.utils import translation

from apps.compliance import services
from apps.compliance.importers import ListImportError
from apps.compliance.models import ListEntry, ListVersion, ScreeningResult
from apps.compliance.tasks import import_lists_task
from tests.factories.users import CustomerFactory
from tests.support.compliance import OFAC_SMALL, PEP_SAMPLE, UN_SAMPLE, copy_ofac, fresh_start

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English; the default language is pt-BR."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _no_active_lists(db):
    fresh_start()


def test_ofac_small_import_reads_names_aliases_dates_programs_and_countries():
    outcome = services.import_list(source="ofac", path=OFAC_SMALL)
    version = outcome.version
    assert outcome.created and version.is_active and version.entry_count == 17
    assert version.changed_count == 17  # nothing before it
    logan = ListEntry.objects.get(version=version, entry_id="10278")
    assert logan.kind == "individual" and logan.birth_years == [1963]
    names = set(logan.names.values_list("name", flat=True))
    assert names == {"LOGAN MOREY, Elvis Angus", "BURTON BURGESS"}  # a.k.a. from Remarks
    hesa = ListEntry.objects.get(version=version, entry_id="11195")
    assert hesa.kind == "entity"
    assert hesa.programs == ["NPWMD", "IFSR", "IRAN-CON-ARMS-EO"]
    assert "iran" in hesa.countries  # from add.csv
    assert hesa.names.filter(is_alias=True, name="HESA TRADE CENTER").exists()
    assert ListEntry.objects.get(version=version, entry_id="20540").kind == "aircraft"
    khoroshev = ListEntry.objects.get(version=version, entry_id="48603")
    assert khoroshev.names.filter(name="KHOROSHEV, Dmitrii Yuryevich", is_alias=True).exists()
    # alt.csv rows of entries not in this sample's sdn.csv are skipped, not attached anywhere
    assert not ListEntry.objects.filter(version=version, names__name="KARADH AL-HASSAN").exists()


def test_same_file_again_is_a_no_op():
    first = services.import_list(source="ofac", path=OFAC_SMALL)
    again = services.import_list(source="ofac", path=OFAC_SMALL)
    assert not again.created and again.version.pk == first.version.pk
    assert ListVersion.objects.filter(source="ofac").count() == 1


def test_new_file_flips_the_active_version_and_marks_what_changed(tmp_path):
    first = services.import_list(source="ofac", path=OFAC_SMALL).version
    folder = copy_ofac(tmp_path)
    sdn = (folder / "sdn.csv").read_text()
    sdn = sdn.replace('"MORENO, Daniel"', '"MORENO GARCIA, Daniel"')
    sdn += (
        '\n99001,"NOVO, Fulano de Tal","individual","SDNT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- '
    )
    (folder / "sdn.csv").write_text(sdn)
    outcome = services.import_list(source="ofac", path=folder)
    second = outcome.version
    first.refresh_from_db()
    assert outcome.created and second.is_active and not first.is_active
    assert second.entry_count == 18 and outcome.changed_count == 2
    changed = set(second.entries.filter(is_changed=True).values_list("entry_id", flat=True))
    assert changed == {"15102", "99001"}
    assert ListVersion.objects.filter(source="ofac", is_active=True).count() == 1


@pytest.mark.parametrize(
    ("file", "bad_line", "line_number", "message"),
    [
        ("sdn.csv", 'X12,"BROKEN",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ', 5, "ent_num"),
        ("sdn.csv", '12345,"SHORT ROW",-0- ', 5, "expected 12 columns"),
        ("alt.csv", "11195,abc,aka,NAME,-0- ", 3, "alt_num"),
        ("add.csv", "11195,1", 2, "expected 6 columns"),
    ],
)
def test_a_bad_line_refuses_the_whole_file_naming_the_line(
    tmp_path, file, bad_line, line_number, message
):
    good = services.import_list(source="ofac", path=OFAC_SMALL).version
    folder = copy_ofac(tmp_path)
    lines = (folder / file).read_text().splitlines()
    lines.insert(line_number - 1, bad_line)
    (folder / file).write_text("\n".join(lines) + "\n")
    with pytest.raises(ListImportError) as refused:
        services.import_list(source="ofac", path=folder)
    assert f"{file} line {line_number}" in refused.value.message
    assert message in refused.value.message
    assert list(ListVersion.objects.filter(source="ofac", is_active=True)) == [good]
    assert ListVersion.objects.filter(source="ofac").count() == 1


def test_un_sample_import():
    version = services.import_list(source="un", path=UN_SAMPLE).version
    assert version.entry_count == 9 and version.version.startswith("2026-02-27")
    assert str(version.published_on) == "2026-02-27"
    gaston = ListEntry.objects.get(version=version, entry_id="6907995")
    assert gaston.primary_name == "GASTON IYAMUREMYE"
    assert gaston.birth_years == [1948] and "rwanda" in gaston.countries
    assert gaston.names.filter(is_alias=True, name="Victor Rumuri").exists()
    makenga = ListEntry.objects.get(version=version, entry_id="6907999")
    assert makenga.birth_dates == ["1973-12-25"]
    assert "congo democratic republic" in makenga.countries
    jerome = ListEntry.objects.get(version=version, entry_id="6907997")
    assert jerome.primary_name == "JÉRÔME KAKWAVU BUKANDE"
    assert ListEntry.objects.get(version=version, entry_id="6908024").kind == "entity"


def test_malformed_xml_is_refused_with_its_line(tmp_path):
    broken = tmp_path / "un.xml"
    text = UN_SAMPLE.read_text().splitlines()
    broken.write_text("\n".join(text[:40]) + "\n</INDIVIDUALS>\n")
    with pytest.raises(ListImportError) as refused:
        services.import_list(source="un", path=broken)
    assert "un.xml line" in refused.value.message and "malformed XML" in refused.value.message
    assert not ListVersion.objects.filter(source="un").exists()


def test_an_individual_without_dataid_is_refused_with_its_line(tmp_path):
    xml = tmp_path / "un.xml"
    xml.write_text(
        '<?xml version="1.0"?>\n<CONSOLIDATED_LIST dateGenerated="2026-01-01T00:00:00Z">\n'
        "<INDIVIDUALS>\n<INDIVIDUAL><DATAID>1</DATAID><FIRST_NAME>A B</FIRST_NAME></INDIVIDUAL>\n"
        "<INDIVIDUAL><FIRST_NAME>NO ID</FIRST_NAME></INDIVIDUAL>\n"
        "</INDIVIDUALS></CONSOLIDATED_LIST>\n"
    )
    with pytest.raises(ListImportError, match=r"un\.xml line 5: <INDIVIDUAL> without"):
        services.import_list(source="un", path=xml)


def test_xml_external_entities_are_not_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    xml = tmp_path / "xxe.xml"
    xml.write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file://{secret}">]>\n'
        '<CONSOLIDATED_LIST dateGenerated="2026-01-01T00:00:00Z"><INDIVIDUALS><INDIVIDUAL>'
        "<DATAID>7</DATAID><FIRST_NAME>JOHN &e; DOE</FIRST_NAME></INDIVIDUAL></INDIVIDUALS>"
        "</CONSOLIDATED_LIST>"
    )
    try:
        version = services.import_list(source="un", path=xml).version
    except ListImportError:
        return  # refusing the file is as safe as ignoring the entity
    names = " ".join(
        ListEntry.objects.filter(version=version).values_list("primary_name", flat=True)
    )
    assert "TOPSECRET" not in names


def test_pep_import_of_the_portal_layout():
    version = services.import_list(source="pep", path=PEP_SAMPLE).version
    assert version.entry_count == 3  # two rows of one person are one entry
    jose = ListEntry.objects.get(version=version, primary_name="JOSÉ ANTÔNIO PEREIRA DA CONCEIÇÃO")
    assert jose.entry_id == "***.123.456-**|JOSÉ ANTÔNIO PEREIRA DA CONCEIÇÃO"
    assert jose.identifiers == ["cpf6:123456"] and jose.countries == ["brazil"]
    assert "DIRETOR DE PROGRAMA" in jose.remarks and "CONSELHEIRO" in jose.remarks
    assert "grace until 2027-12-31" in jose.remarks
    matches = services.screen("Jose Antonio Pereira da Conceicao")
    assert [(m.list, m.entry_id) for m in matches] == [("pep", jose.entry_id)]


def test_pep_refusals_name_the_line(tmp_path):
    bad = tmp_path / "pep.csv"
    bad.write_bytes(PEP_SAMPLE.read_bytes() + "123.456.789-00;FULANO;X;;;;;;\n".encode("latin-1"))
    with pytest.raises(ListImportError, match="pep.csv line 6: CPF"):
        services.import_list(source="pep", path=bad)
    bad.write_bytes(b"CPF;Nome;Funcao\n***.111.222-**;X;Y\n")
    with pytest.raises(ListImportError, match="line 1: missing column"):
        services.import_list(source="pep", path=bad)


def test_management_command_and_task(tmp_path):
    out = []

    class Out:
        def write(self, text, *a, **k):
            out.append(text)

        def flush(self):
            pass

    call_command("import_lists", "--source", "un", str(UN_SAMPLE), stdout=Out())
    assert "9 entries" in "".join(out)
    call_command("import_lists", "--source", "un", str(UN_SAMPLE), stdout=Out())
    assert "unchanged" in out[-1]
    with pytest.raises(CommandError, match="not found"):
        call_command("import_lists", "--source", "ofac", str(tmp_path / "nowhere"))
    version_id = import_lists_task.delay("ofac", str(OFAC_SMALL)).get()
    assert ListVersion.objects.get(pk=version_id, is_active=True).entry_count == 17


def test_import_rescreens_customers_against_what_changed(
    tmp_path, django_capture_on_commit_callbacks
):
    folder = copy_ofac(tmp_path)
    sdn = (folder / "sdn.csv").read_text().splitlines()
    (folder / "sdn.csv").write_text("\n".join(row for row in sdn if not row.startswith("10278,")))
    with django_capture_on_commit_callbacks(execute=True):
        services.import_list(source="ofac", path=folder)
    listed_later = CustomerFactory(full_name="Elvis Angus Logan Morey")
    unchanged = CustomerFactory(full_name="Artem Mikhaylovich Lifshits")  # 29702, in both
    CustomerFactory(full_name="Maria das Gracas Silva")
    with django_capture_on_commit_callbacks(execute=True):
        version = services.import_list(source="ofac", path=OFAC_SMALL).version
    version.refresh_from_db()
    assert version.changed_count == 1 and version.rescreened_at is not None
    results = ScreeningResult.objects.filter(context="rescreen:ofac")
    assert [r.customer_id for r in results] == [listed_later.pk]
    hit = results[0].hits.get()
    assert (hit.source, hit.entry_id, hit.status) == ("ofac", "10278", "open")
    assert not ScreeningResult.objects.filter(customer=unchanged).exists()
    # A re-delivered task does nothing twice
    assert services.rescreen_customers(version_id=version.pk) == 0
    assert results.count() == 1


@pytest.mark.django_db(transaction=True)
def test_readers_never_see_a_half_list(tmp_path):
    """A reader polling during imports always finds exactly one active OFAC version holding
    all of its entries."""
    services.import_list(source="ofac", path=OFAC_SMALL)
    folder = copy_ofac(tmp_path)
    (folder / "sdn.csv").write_text(
        (folder / "sdn.csv").read_text()
        + "".join(
            f'\n{90000 + i},"PESSOA {i}, Teste","individual","SDNT",-0- ,-0- ,-0- ,-0- ,-0- ,'
            "-0- ,-0- ,-0- "
            for i in range(3000)
        )
    )
    seen: list[tuple] = []
    stop = threading.Event()

    def reader():
        try:
            with connections["default"].cursor() as cursor:
                while not stop.is_set():
                    cursor.execute(
                        "SELECT v.entry_count, (SELECT count(*) FROM compliance_listentry e"
                        " WHERE e.version_id = v.id) FROM compliance_listversion v"
                        " WHERE v.source = 'ofac' AND v.is_active"
                    )
                    seen.append(tuple(cursor.fetchall()))
                    time.sleep(0.001)
        finally:
            connections.close_all()

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        services.import_list(source="ofac", path=folder)
        services.import_list(source="ofac", path=OFAC_SMALL)
    finally:
        stop.set()
        thread.join()
    assert len(seen) > 5
    for rows in seen:
        assert len(rows) == 1
        declared, actual = rows[0]
        assert declared == actual and declared in (17, 3017)
    assert {rows[0][0] for rows in seen} >= {17}
    assert connection.cursor() is not None
