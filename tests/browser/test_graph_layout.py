"""How the graph view draws a graph, as a learner sees it on a phone and on a laptop: a node's name stays
clear of its op badge."""

import pytest

from test_playground_page import live, open_link

pytestmark = pytest.mark.timeout(240)

PLAYGROUND_20 = "tanh(w1*x1 + w2*x2 + b) * (y - 0.5)**2 + relu(x1)*sigmoid(x2) + b"   # 20 nodes
TANH_CHAIN = "tanh(" * 14 + "x" + ")" * 14   # 15 nodes: a compact graph whose output f is a tanh


# Names and op badges: a compact box had them 9 px apart, reading as one word ("f tanh").

@pytest.mark.parametrize("expression", [TANH_CHAIN, "tanh(w*x + b)", PLAYGROUND_20])
@pytest.mark.parametrize("width", [390, 1280])
def test_a_nodes_name_stays_clear_of_its_op_badge(page, expression, width):
    widget = live(page)
    page.set_viewport_size({"width": width, "height": 900})
    open_link(page, expression, {})
    gaps = widget.evaluate("""(w) => [...w.querySelectorAll('[data-node]')]
        .filter((n) => n.querySelector('text.op-badge').textContent)
        .map((n) => { const name = n.querySelector('tspan.name').getBoundingClientRect();
                      const badge = n.querySelector('text.op-badge').getBoundingClientRect();
                      return [n.dataset.node, badge.left - name.right, name.bottom > badge.top && badge.bottom > name.top]; })""")
    assert gaps, "no node has an op badge"
    for node, gap, same_line in gaps:
        assert same_line and gap >= 10, f"{node}: its name is {gap:.1f} px from its op badge"
