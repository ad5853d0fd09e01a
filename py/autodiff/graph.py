"""Graph walking shared by both engines: the topological order backward uses."""


def topo_order(root):
    """Return every node reachable from `root`, each after all of its inputs (root last).

    Iterative depth-first post-order, so a chain of any length never hits Python's
    recursion limit. Inputs are visited in operand order (`node._prev` is a tuple), so
    the same expression always yields the same order, which the page's stepper shows.
    """
    order, visited = [], set()
    stack = [(root, iter(root._prev))]
    visited.add(id(root))
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if id(parent) not in visited:
                visited.add(id(parent))
                stack.append((parent, iter(parent._prev)))
                break
        else:
            stack.pop()
            order.append(node)
    return order
