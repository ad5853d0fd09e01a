"""The lesson's neuron training run: y = tanh(w*x + b), loss = (y - target)**2, plain SGD on w and b."""

from autodiff import Value


def train_neuron(x, target, w, b, lr, steps):
    """Run `steps` SGD steps, each on fresh Values; return one record per step (w and b before its update)."""
    history = []
    for step in range(steps):
        # Fresh Values every step, as in the lesson: no gradient carries over from the last step.
        x_v = Value(x, label="x", requires_grad=False)
        target_v = Value(target, label="target", requires_grad=False)
        w_v = Value(w, label="w")
        b_v = Value(b, label="b")
        y = (w_v * x_v + b_v).tanh()
        loss = (y - target_v) ** 2
        loss.backward()
        history.append({"step": step, "w": w, "b": b, "y": y.data, "loss": loss.data,
                        "grad_w": w_v.grad, "grad_b": b_v.grad})
        w = w - lr * w_v.grad
        b = b - lr * b_v.grad
    return history
