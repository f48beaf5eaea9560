"""Macro templates: offered variables render; anything else is a clear error."""

import pytest

from plugins.macros.render import VARIABLES, RenderContext, TemplateProblem, Values, check, context_for


def render(ticket, agent, source):
    return context_for(ticket, agent).render(source)


def render_sample(source):
    """Render on the sample values (no database needed)."""
    return RenderContext({group: Values(group, fields) for group, fields in VARIABLES.items()}).render(source)


def test_variables_render_for_the_ticket(ticket, support, app):
    text = render(
        ticket,
        support,
        "Hi {{ customer.first_name }} ({{ customer.email }}), this is "
        "{{ agent.name }} from {{ organization.name }} about ticket "
        "#{{ ticket.number }}.",
    )
    assert text == (f"Hi Ada (ada@example.net), this is Sam Support from My Shop about ticket #{ticket.id}.")


def test_organization_name_follows_the_general_settings(ticket, support, app):
    app.extensions["helpline.plugins"].set_settings("core", {"organization_name": "Bolt Bikes"})
    assert render(ticket, support, "{{ organization.name }}") == "Bolt Bikes"


def test_conditions_and_safe_filters_work():
    source = "{% if customer.first_name %}Hi {{ customer.first_name|upper }}{% else %}Hello{% endif %}!"
    assert render_sample(source) == "Hi ADA!"
    assert render_sample("{{ customer.nickname|default('friend') }}") == "friend"
    assert render_sample("{% set n = customer.first_name %}{{ n|lower }} #{{ ticket.number + 1 }}") == "ada #43"


@pytest.mark.parametrize(
    "source, words",
    [
        ("Hi {{ customer.nickname }}", "customer.nickname"),
        ("Hi {{ shopper.name }}", "shopper"),
        ("{% if order.total %}x{% endif %}", "order"),
    ],
)
def test_unknown_variables_name_the_variable(source, words):
    with pytest.raises(TemplateProblem) as err:
        render_sample(source)
    assert err.value.code == "template_unknown_variable"
    assert words in err.value.message
    assert "customer.first_name" in err.value.message  # the message lists what exists
    with pytest.raises(TemplateProblem):
        check(source)  # and saving refuses it too


@pytest.mark.parametrize(
    "source",
    [
        "{{ customer.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ customer.first_name.upper() }}",
        "{{ customer._fields }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ 'x' * 1000000 }}",
        "{{ 2 ** 99999999 }}",
        "{{ ((10 ** 100) ** 100) ** 100 }}",
    ],
)
def test_unsafe_templates_are_refused_with_a_clear_error(source):
    with pytest.raises(TemplateProblem) as err:
        render_sample(source)
    assert err.value.code in ("template_unsafe", "template_unknown_variable")
    assert err.value.field == "body"


@pytest.mark.parametrize(
    "source, code",
    [
        ("{% for i in range(10) %}{{ i }}{% endfor %}", "template_unsafe"),
        ("{% include 'web/base.html' %}", "template_unsafe"),
        ("{% macro x() %}{% endmacro %}", "template_unsafe"),
        ("{{ customer.name|center(1000000000) }}", "template_syntax"),
        ("Hi {{ customer.first_name ", "template_syntax"),
        ("x" * 20001, "template_too_long"),
        ("{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}", "template_unsafe"),
        ("{{ " + "1 + " * 4000 + "1 }}", "template_unsafe"),
        ("{{ " + "[" * 6000 + "]" * 6000 + " }}", "template_unsafe"),
    ],
)
def test_constructs_a_reply_does_not_need_are_refused_on_save(source, code):
    with pytest.raises(TemplateProblem) as err:
        check(source)
    assert err.value.code == code
    assert err.value.message


def test_syntax_errors_give_the_line():
    with pytest.raises(TemplateProblem) as err:
        check("Hello\n{{ customer.first_name }\n")
    assert "line 2" in err.value.message


def test_agent_without_a_name_part_still_renders(ticket, make_agent):
    agent = make_agent(name="Solo")
    assert render(ticket, agent, "{{ agent.first_name }}/{{ customer.last_name }}") == "Solo/Lovelace"


def test_rendered_output_is_bounded():
    # Each line turns the 12-character name into ~1,300 characters; a
    # hundred of them stay under the template limit but would render 130 kB.
    line = "{{ customer.name|replace('', '%s') }}" % ("x" * 100)
    with pytest.raises(TemplateProblem) as err:
        render_sample(line * 100)
    assert err.value.code == "template_too_long"


def test_replace_cannot_blow_up_a_string():
    big = "x" * 1000
    source = "{{ customer.name|replace('', '" + big + "')|replace('', '" + big + "') }}"
    with pytest.raises(TemplateProblem) as err:
        render_sample(source)
    assert err.value.code == "template_unsafe"
    assert render_sample("{{ customer.name|replace('Ada', 'Countess') }}") == "Countess Lovelace"
