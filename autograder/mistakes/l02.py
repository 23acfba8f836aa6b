"""Typical mistakes in lesson 02 (computational graphs and a scalar autodiff engine)."""
from . import Mistake

LESSON = "02_graphs"

MISTAKES = [
    # --- local backward rules
    Mistake(LESSON, "mul_backward", "swapped", '''\
def mul_backward(inputs, out, dout):
    a, b = inputs
    return (a * dout, b * dout)
''', "the gradients are swapped"),
    Mistake(LESSON, "mul_backward", "no-dout", '''\
def mul_backward(inputs, out, dout):
    a, b = inputs
    return (b, a)
''', "dout is missing"),
    Mistake(LESSON, "mul_backward", "add-rule", '''\
def mul_backward(inputs, out, dout):
    return (dout, dout)
''', "this is the rule of +"),
    Mistake(LESSON, "pow_backward", "exponent-not-lowered", '''\
def pow_backward(inputs, out, dout, k):
    (a,) = inputs
    return (k * a ** k * dout,)
''', "the exponent must drop by one"),
    Mistake(LESSON, "pow_backward", "no-k", '''\
def pow_backward(inputs, out, dout, k):
    a = inputs[0]
    return (a ** (k - 1) * dout,)
''', "the factor k is missing"),
    Mistake(LESSON, "pow_backward", "not-a-tuple", '''\
def pow_backward(inputs, out, dout, k):
    a = inputs[0]
    return k * a ** (k - 1) * dout
''', "wrap it in a tuple"),
    Mistake(LESSON, "sigmoid_backward", "input-not-output", '''\
def sigmoid_backward(inputs, out, dout):
    (a,) = inputs
    return (a * (1 - a) * dout,)
''', "you used the INPUT a"),
    Mistake(LESSON, "sigmoid_backward", "no-dout", '''\
def sigmoid_backward(inputs, out, dout):
    return (out * (1 - out),)
''', "dout is missing"),
    Mistake(LESSON, "sigmoid_backward", "no-out-factor", '''\
def sigmoid_backward(inputs, out, dout):
    return ((1 - out) * dout,)
''', "the factor out is missing"),
    # --- topological order
    Mistake(LESSON, "topological_order", "no-visited-set", '''\
def topological_order(root):
    order = []
    def visit(node):
        for parent in node.parents:
            visit(parent)
        order.append(node)
    visit(root)
    return order
''', "add each node only once"),
    Mistake(LESSON, "topological_order", "root-first", '''\
def topological_order(root):
    order, seen = [], set()
    def visit(node):
        if node in seen:
            return
        seen.add(node)
        for parent in node.parents:
            visit(parent)
        order.append(node)
    visit(root)
    return order[::-1]
''', "your list is in reverse"),
    Mistake(LESSON, "topological_order", "breadth-first", '''\
def topological_order(root):
    found, queue, seen = [], [root], {root}
    while queue:
        node = queue.pop(0)
        found.append(node)
        for parent in node.parents:
            if parent not in seen:
                seen.add(parent)
                queue.append(parent)
    return found[::-1]
''', "comes before its input"),
    Mistake(LESSON, "topological_order", "one-level", '''\
def topological_order(root):
    order = []
    for parent in root.parents:
        if parent not in order:
            order.append(parent)
    return order + [root]
''', "visit the inputs of the inputs too"),
    # --- backward pass
    Mistake(LESSON, "backward_pass", "overwrite", '''\
def backward_pass(order, local_grads):
    order[-1].grad = 1.0
    for node in reversed(order):
        for parent, local in zip(node.parents, local_grads(node)):
            parent.grad = local * node.grad
''', "accumulate with parent.grad +="),
    Mistake(LESSON, "backward_pass", "left-to-right", '''\
def backward_pass(order, local_grads):
    order[-1].grad = 1.0
    for node in order:
        for parent, local in zip(node.parents, local_grads(node)):
            parent.grad += local * node.grad
''', "walk the order from the root back to the leaves"),
    Mistake(LESSON, "backward_pass", "no-chain", '''\
def backward_pass(order, local_grads):
    order[-1].grad = 1.0
    for node in reversed(order):
        for parent, local in zip(node.parents, local_grads(node)):
            parent.grad += local
''', "the chain rule needs node.grad"),
    Mistake(LESSON, "backward_pass", "no-seed", '''\
def backward_pass(order, local_grads):
    for node in reversed(order):
        for parent, local in zip(node.parents, local_grads(node)):
            parent.grad += local * node.grad
''', "the root's grad to 1"),
]
