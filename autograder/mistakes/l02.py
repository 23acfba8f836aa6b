"""Typical mistakes in lesson 02 (computational graphs and a scalar autodiff engine)."""
from . import Correct, Mistake

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
''', "a tuple"),
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
''', "the inputs of the inputs too"),
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
    Mistake(LESSON, "mul_backward", "list", '''\
def mul_backward(inputs, out, dout):
    a, b = inputs
    return [b * dout, a * dout]
''', "a list"),
    Mistake(LESSON, "sigmoid_backward", "no-sigmoid-prime", '''\
def sigmoid_backward(inputs, out, dout):
    return (dout,)
''', "out * (1 - out) is missing"),
    Mistake(LESSON, "sigmoid_backward", "sign", '''\
def sigmoid_backward(inputs, out, dout):
    return (-out * (1 - out) * dout,)
''', "the sign is flipped"),
    Mistake(LESSON, "sigmoid_backward", "sympy-sigmoid", '''\
from backprop_lib.checking.symbolic import sigmoid as sym_sigmoid

def sigmoid_backward(inputs, out, dout):
    (a,) = inputs
    s = sym_sigmoid(a)
    return (s * (1 - s) * dout,)
''', "returned a SymPy expression"),
    Mistake(LESSON, "topological_order", "no-leaves", '''\
def topological_order(root):
    order, seen = [], set()
    def visit(node):
        if node in seen:
            return
        seen.add(node)
        for parent in node.parents:
            visit(parent)
        if node.parents:
            order.append(node)
    visit(root)
    return order
''', "the leaves are missing"),
    Mistake(LESSON, "mul_backward", "divide-out", '''\
def mul_backward(inputs, out, dout):
    a, b = inputs
    return (out / a * dout, out / b * dout)
''', "a division by an input"),
    Mistake(LESSON, "pow_backward", "divide-out", '''\
def pow_backward(inputs, out, dout, k):
    (a,) = inputs
    return (k * out / a * dout,)
''', "a division by an input"),
    Mistake(LESSON, "backward_pass", "root-two", '''\
def backward_pass(order, local_grads):
    order[-1].grad = 2.0
    for node in reversed(order):
        for parent, local in zip(node.parents, local_grads(node)):
            parent.grad += local * node.grad
''', "2 times the expected ones"),
    Mistake(LESSON, "pow_backward", "k-twice", '''\
def pow_backward(inputs, out, dout, k):
    (a,) = inputs
    return (k * k * a ** (k - 1) * dout,)
''', "the factor k appears twice"),
]

#: Right answers written another way than the reference: each must pass the self-check and the hidden test.
CORRECT = [
    Correct(LESSON, "mul_backward", "no-parentheses", '''\
def mul_backward(inputs, out, dout):
    return inputs[1] * dout, inputs[0] * dout
'''),
    Correct(LESSON, "mul_backward", "np-multiply", '''\
def mul_backward(inputs, out, dout):
    a, b = inputs
    return tuple([np.multiply(dout, b), np.multiply(dout, a)])
'''),
    Correct(LESSON, "mul_backward", "generator", '''\
def mul_backward(inputs, out, dout):
    a, b = inputs
    return tuple(other * dout for other in (b, a))
'''),
    Correct(LESSON, "pow_backward", "np-power", '''\
def pow_backward(inputs, out, dout, k):
    a, = inputs
    return (dout * k * np.power(a, k - 1),)
'''),
    Correct(LESSON, "pow_backward", "local-first", '''\
def pow_backward(inputs, out, dout, k):
    local = k * inputs[0] ** (k - 1)
    return tuple([local * dout])
'''),
    Correct(LESSON, "sigmoid_backward", "dout-first", '''\
def sigmoid_backward(inputs, out, dout):
    return (dout * out * (1 - out),)
'''),
    Correct(LESSON, "sigmoid_backward", "expanded", '''\
def sigmoid_backward(inputs, out, dout):
    local = out - out ** 2
    return (local * dout,)
'''),
    Correct(LESSON, "sigmoid_backward", "from-the-input", '''\
def sigmoid_backward(inputs, out, dout):
    s = 1 / (1 + np.exp(-inputs[0]))
    return (s * (1 - s) * dout,)
'''),
    Correct(LESSON, "topological_order", "explicit-stack", '''\
def topological_order(root):
    order, done, stack = [], set(), [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
        elif node not in done:
            done.add(node)
            stack.append((node, True))
            for parent in node.parents:
                if parent not in done:
                    stack.append((parent, False))
    return order
'''),
    Correct(LESSON, "topological_order", "ids", '''\
def topological_order(root):
    order, seen = [], set()
    def visit(node):
        if id(node) in seen:
            return
        seen.add(id(node))
        for parent in node.parents:
            visit(parent)
        order.append(node)
    visit(root)
    return order
'''),
    Correct(LESSON, "topological_order", "kahn", '''\
def topological_order(root):
    nodes, stack = {}, [root]
    while stack:
        node = stack.pop()
        if id(node) not in nodes:
            nodes[id(node)] = node
            stack.extend(node.parents)
    waiting = {i: len(set(id(p) for p in n.parents)) for i, n in nodes.items()}
    users = {i: [] for i in nodes}
    for i, n in nodes.items():
        for pid in set(id(p) for p in n.parents):
            users[pid].append(i)
    ready = [i for i, k in waiting.items() if k == 0]
    order = []
    while ready:
        i = ready.pop()
        order.append(nodes[i])
        for u in users[i]:
            waiting[u] -= 1
            if waiting[u] == 0:
                ready.append(u)
    return order
'''),
    Correct(LESSON, "backward_pass", "slice", '''\
def backward_pass(order, local_grads):
    order[-1].grad += 1.0
    for node in order[::-1]:
        derivatives = local_grads(node)
        for k, parent in enumerate(node.parents):
            parent.grad += derivatives[k] * node.grad
'''),
    Correct(LESSON, "backward_pass", "index-loop", '''\
def backward_pass(order, local_grads):
    root = order[len(order) - 1]
    root.grad = 1
    for i in range(len(order) - 1, -1, -1):
        node = order[i]
        for parent, local in zip(node.parents, local_grads(node)):
            parent.grad = parent.grad + node.grad * local
'''),
    Correct(LESSON, "pow_backward", "vectorize", '''\
def pow_backward(inputs, out, dout, k):
    rule = np.vectorize(lambda v, d: k * v ** (k - 1) * d)
    return (rule(inputs[0], dout),)
'''),
    Correct(LESSON, "backward_pass", "dict-then-assign", '''\
def backward_pass(order, local_grads):
    grads = {id(order[-1]): 1.0}
    for node in reversed(order):
        g = grads.get(id(node), 0.0)
        for parent, local in zip(node.parents, local_grads(node)):
            grads[id(parent)] = grads.get(id(parent), 0.0) + local * g
    for node in order:
        node.grad = grads.get(id(node), 0.0)
'''),
]
