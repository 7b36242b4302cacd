"""The approval policy editor: the settings page for org admins and the API."""

from __future__ import annotations

import pytest

from approvals.models import ApprovalPolicy, ApprovalPolicyStep
from approvals.services.policies import policy_for
from governance.models import AuditEvent

pytestmark = pytest.mark.django_db
URL = "/o/acme/settings/approvals/"
API = "/api/v1/orgs/acme/approval-policies/"


def steps(org, kind):
    policy = ApprovalPolicy.objects.for_org(org).filter(kind=kind).first()
    if policy is None:
        return None
    return list(
        ApprovalPolicyStep.objects.for_org(org)
        .filter(policy=policy)
        .values_list("order", "approver", "role", "approvals_required", "amount_above", "sla_days")
    )


def step_post(prefix: str, **values: object) -> dict[str, object]:
    fields = {
        "order": 1,
        "approver": "role",
        "role": "lead",
        "approvals_required": 1,
        "amount_above": "",
        "sla_days": 5,
    }
    fields.update(values)
    return {f"{prefix}-{name}": value for name, value in fields.items()}


# --- the page ---


@pytest.mark.parametrize(
    ("persona", "status"),
    [("admin", 200), ("lead", 403), ("executive", 403), ("viewer", 403), ("outsider", 404)],
)
def test_only_org_admins_edit_policies(client, personas, persona, status):
    client.force_login(getattr(personas, persona))
    assert client.get(URL).status_code == status
    data = {"section": "policy-create", "kind": "spend", **step_post("new-spend")}
    response = client.post(URL, data)
    assert response.status_code == (302 if status == 200 else status)
    assert (steps(personas.org, "spend") is not None) == (status == 200)


def test_the_page_lists_every_kind_with_its_policy(client, personas):
    client.force_login(personas.admin)
    page = client.get(URL).content.decode()
    for label in ("Gate: to Decided", "Gate: to Closed", "Validation of a realised benefit"):
        assert label in page
    assert "The sponsor decides" in page and "Create policy" in page
    assert URL in client.get("/o/acme/").content.decode()


def test_admin_creates_a_policy_adds_edits_and_removes_steps(client, personas):
    client.force_login(personas.admin)
    data = {"section": "policy-create", "kind": "spend", "new-spend-name": "Spend above budget"}
    data.update(step_post("new-spend", sla_days=3))
    assert client.post(URL, data).status_code == 302
    policy = ApprovalPolicy.objects.for_org(personas.org).get(kind="spend")
    assert policy.name == "Spend above budget"
    add = {"section": "step-add", "policy": policy.pk}
    add.update(step_post(f"add-{policy.pk}", order=2, approver="sponsor", amount_above="100000"))
    assert client.post(URL, add).status_code == 302
    assert steps(personas.org, "spend") == [
        (1, "role", "lead", 1, None, 3),
        (2, "sponsor", "", 1, 100000, 5),
    ]
    first = ApprovalPolicyStep.objects.for_org(personas.org).get(policy=policy, order=1)
    edit = {"section": "step-edit", "step": first.pk}
    edit.update(step_post(f"step-{first.pk}", approvals_required=2, sla_days=7))
    assert client.post(URL, edit).status_code == 302
    assert steps(personas.org, "spend")[0] == (1, "role", "lead", 2, None, 7)
    assert client.post(URL, {"section": "step-remove", "step": first.pk}).status_code == 302
    assert steps(personas.org, "spend") == [(2, "sponsor", "", 1, 100000, 5)]
    last = ApprovalPolicyStep.objects.for_org(personas.org).get(policy=policy)
    refused = client.post(URL, {"section": "step-remove", "step": last.pk})
    assert refused.status_code == 422 and b"at least one step" in refused.content
    actions = set(
        AuditEvent.objects.for_org(personas.org)
        .filter(action__startswith="approval_policy.")
        .values_list("action", flat=True)
    )
    assert actions == {
        "approval_policy.created",
        "approval_policy.step_added",
        "approval_policy.step_changed",
        "approval_policy.step_removed",
    }


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"sla_days": 0}, "sla_days"),
        ({"sla_days": 366}, "sla_days"),
        ({"approvals_required": 0}, "approvals_required"),
        ({"amount_above": "-5"}, "amount_above"),
        ({"amount_above": "lots"}, "amount_above"),
        ({"role": ""}, "role"),
        ({"approver": "boss"}, "approver"),
    ],
)
def test_bad_values_are_refused_and_the_form_keeps_the_input(client, personas, values, field):
    client.force_login(personas.admin)
    policy = policy_for(personas.org, "gate:decided")
    assert policy is not None
    before = steps(personas.org, "gate:decided")
    data = {"section": "step-add", "policy": policy.pk}
    data.update(step_post(f"add-{policy.pk}", order=3, **values))
    response = client.post(URL, data)
    assert response.status_code == 422
    page = response.content.decode()
    assert f'id="id_add-{policy.pk}-{field}_error"' in page
    assert f'name="add-{policy.pk}-order" value="3"' in page  # what was typed stays
    assert steps(personas.org, "gate:decided") == before


def test_a_second_policy_for_a_kind_is_refused(client, personas):
    policy_for(personas.org, "gate:decided")  # the default, seeded on first use
    client.force_login(personas.admin)
    data = {"section": "policy-create", "kind": "gate:decided"}
    data.update(step_post("new-gate-decided"))
    response = client.post(URL, data)
    assert response.status_code == 422 and b"has a policy already" in response.content


def test_deleting_a_policy(client, personas):
    client.force_login(personas.admin)
    policy = policy_for(personas.org, "gate:closed")
    assert policy is not None
    assert client.post(URL, {"section": "policy-delete", "policy": policy.pk}).status_code == 302
    assert not ApprovalPolicy.objects.for_org(personas.org).filter(pk=policy.pk).exists()


# --- the API ---


def test_members_read_policies_and_admins_write_them(personas, api_as):
    api = api_as(personas.viewer)
    listed = api.get(API)
    assert listed.status_code == 200
    kinds = {row["kind"] for row in listed.json()["results"]}
    assert {"gate:decided", "gate:closed"} <= kinds
    body = {"kind": "spend", "steps": [{"order": 1, "approver": "sponsor", "sla_days": 3}]}
    assert api.post(API, body).status_code == 403
    api = api_as(personas.admin)
    created = api.post(API, body)
    assert created.status_code == 201, created.json()
    assert created["ETag"] == '"1"'
    assert created.json()["name"] == "Cost or budget above an amount"
    assert api_as(personas.outsider).get(f"{API}{created.json()['id']}/").status_code == 404


def test_put_replaces_the_steps_and_if_match_guards_it(personas, api_as):
    api = api_as(personas.admin)
    policy = policy_for(personas.org, "gate:decided")
    assert policy is not None
    url = f"{API}{policy.pk}/"
    etag = api.get(url)["ETag"]
    body = {
        "name": "Lead, then sponsor",
        "steps": [
            {"order": 1, "approver": "role", "role": "lead", "sla_days": 2},
            {"order": 2, "approver": "sponsor", "sla_days": 5, "amount_above": "1000.00"},
        ],
    }
    replaced = api.put(url, body, HTTP_IF_MATCH=etag)
    assert replaced.status_code == 200, replaced.json()
    assert [step["approver"] for step in replaced.json()["steps"]] == ["role", "sponsor"]
    assert api.put(url, body, HTTP_IF_MATCH=etag).status_code == 412
    patched = api.patch(url, {"name": "Renamed"}, HTTP_IF_MATCH=replaced["ETag"])
    assert patched.status_code == 200 and len(patched.json()["steps"]) == 2
    bad = api.patch(url, {"steps": [{"order": 1, "approver": "role", "sla_days": 400}]})
    assert bad.status_code == 400
    assert "sla_days" in str(bad.json()["errors"])
    no_role = api.patch(url, {"steps": [{"order": 1, "approver": "role", "sla_days": 4}]})
    assert no_role.status_code == 400 and "steps.0.role" in no_role.json()["errors"]
    assert api.patch(url, {"steps": []}).status_code == 400
    assert api_as(personas.lead).delete(url).status_code == 403
    assert api_as(personas.admin).delete(url, HTTP_IF_MATCH='"1"').status_code == 412
    assert api_as(personas.admin).delete(url).status_code == 204
