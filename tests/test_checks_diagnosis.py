"""The generic diagnosers (autograder/diagnosis.py) on wrong answers that no catalogue lists:
each names the difference in the learner's terms, or says where it is."""

import numpy as np
import pytest

from autograder import run_check
from autograder.diagnosis import diagnose, locate, one_edit, unwritten
from autograder.registry import exercise
from rnn_ref import numpy as ref


def _case(name, k=0, seed=5):
    ex = exercise(name)
    return ex, ex.draw_cases(seed)[k], dict(ex.cases[k])


def _outs(ex, fn, inputs):
    outs, error = ex.call_student(fn, inputs)
    assert error is None, error
    return outs


def test_an_input_left_out_is_named_by_the_input():
    ex, inputs, sizes = _case("ch02.rnn_step_forward")
    outs = _outs(ex, lambda x_t, h_prev, W_xh, W_hh, b_h: np.tanh(x_t @ W_xh + h_prev @ W_hh), inputs)
    finding = diagnose(ex, inputs, outs, sizes)
    assert finding.name == "b_h left out" and "b_h = 0" in finding.hint


def test_a_transposed_square_input_is_named():
    ex, inputs, sizes = _case("ch02.rnn_step_forward", k=2)                 # D = H = 5: no crash
    outs = _outs(ex, lambda x_t, h_prev, W_xh, W_hh, b_h: np.tanh(x_t @ W_xh.T + h_prev @ W_hh + b_h), inputs)
    assert diagnose(ex, inputs, outs, sizes).name == "W_xh transposed"


def test_states_stored_one_step_late_are_named_and_located():
    ex, inputs, sizes = _case("ch02.rnn_forward")

    def late(x, h0, W_xh, W_hh, b_h):
        h = np.zeros((x.shape[0], x.shape[1], h0.shape[1]))
        prev = h0
        for t in range(x.shape[1]):
            h[:, t] = prev
            prev = ref.rnn_step_forward(x[:, t], prev, W_xh, W_hh, b_h)
        return h

    outs = _outs(ex, late, inputs)
    assert diagnose(ex, inputs, outs, sizes).name == "h shifted one step late"
    where = locate(ex, inputs, outs)
    assert "first differs at time step 0" in where and "equals the reference one step earlier (t-1)" not in where


def test_a_loop_run_backwards_is_named():
    ex, inputs, sizes = _case("ch05.lstm_forward")

    def backwards(x, h0, c0, W_x, W_h, b):
        N, T, _ = x.shape
        h, c = np.zeros((N, T, h0.shape[1])), np.zeros((N, T, h0.shape[1]))
        h_t, c_t = h0, c0
        for t in range(T - 1, -1, -1):
            h_t, c_t = ref.lstm_step_forward(x[:, t], h_t, c_t, W_x, W_h, b)
            h[:, t], c[:, t] = h_t, c_t
        return h, c

    finding = diagnose(ex, inputs, _outs(ex, backwards, inputs), sizes)
    assert finding.name == "loop run in the wrong direction" and "other direction" in finding.hint


def test_a_mean_instead_of_a_sum_is_a_factor_of_the_batch_size():
    ex, inputs, sizes = _case("ch05.lstm_step_backward")

    def averaged(*args):
        out = list(ref.lstm_step_backward(*args))
        out[5] = out[5] / args[0].shape[0]
        return tuple(out)

    finding = diagnose(ex, inputs, _outs(ex, averaged, inputs), sizes)
    assert finding.name == "db off by a constant factor" and "1/N" in finding.hint


def test_a_bias_gradient_not_summed_is_named_with_the_axis():
    ex, inputs, sizes = _case("ch03.rnn_step_backward", k=1)

    def per_row(dh_next, x_t, h_prev, h_next, W_xh, W_hh):
        out = list(ref.rnn_step_backward(dh_next, x_t, h_prev, h_next, W_xh, W_hh))
        out[4] = dh_next * (1 - h_next ** 2)
        return tuple(out)

    assert diagnose(ex, inputs, _outs(ex, per_row, inputs), sizes).name == "db_h not summed over axis 0"


def test_gate_blocks_in_the_wrong_order_are_located_by_gate():
    ex, inputs, sizes = _case("ch05.lstm_step_backward")
    H = sizes["H"]

    def swapped_blocks(*args):
        dx, dh, dc, dWx, dWh, db = ref.lstm_step_backward(*args)
        order = np.r_[H:2 * H, 0:H, 2 * H:4 * H]                                # [f | i | g | o]
        return dx, dh, dc, dWx[:, order], dWh[:, order], db[order]

    outs = _outs(ex, swapped_blocks, inputs)
    finding = diagnose(ex, inputs, outs, sizes)
    assert "gate blocks in the wrong order" in finding.name and "f, i, g, o" in finding.hint
    where = locate(ex, inputs, outs)
    assert "only the gate blocks i (columns :H), f (columns H:2H) differ" in where, where


def test_a_reshape_that_scrambles_axes_is_named():
    ex, inputs, sizes = _case("ch01.sliding_windows")

    def scrambled(x, k):
        k = int(k)
        N, T, D = x.shape
        return np.stack([x[:, t:t + k].transpose(0, 2, 1).reshape(N, k * D) for t in range(T - k + 1)], axis=1)

    finding = diagnose(ex, inputs, _outs(ex, scrambled, inputs), sizes)
    assert finding.name == "windows last axis scrambled by a reshape", finding


def test_entries_never_written_are_found_by_calling_again():
    ex, inputs, sizes = _case("ch04.backprop_to_each_step")

    def gap(dh_last, h, W_hh):
        N, T, H = h.shape
        out = np.empty((N, T, H))
        g = dh_last
        for t in range(T - 1, 0, -1):                   # step 0 is never written
            out[:, t] = g
            g = (g * (1 - h[:, t] ** 2)) @ W_hh.T
        return out

    outs = _outs(ex, gap, inputs)
    finding = unwritten(ex, gap, inputs, outs)
    assert finding is not None and "time step [0]" in finding.hint and "missing" in finding.hint


def test_one_edit_names_a_dropped_factor_in_the_learners_terms():
    ex, inputs, sizes = _case("ch05.lstm_step_backward")

    def no_g(dh_next, dc_next, x_t, h_prev, c_prev, W_x, W_h, b):
        H = h_prev.shape[1]
        a = x_t @ W_x + h_prev @ W_h + b
        s = 1 / (1 + np.exp(-a))
        i, f, o, g = s[:, :H], s[:, H:2 * H], s[:, 3 * H:], np.tanh(a[:, 2 * H:3 * H])
        tc = np.tanh(f * c_prev + i * g)
        dc = dh_next * o * (1 - tc * tc) + dc_next
        da = np.hstack([dc * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g * g), dh_next * tc * o * (1 - o)])
        return da @ W_x.T, da @ W_h.T, dc * f, x_t.T @ da, h_prev.T @ da, da.sum(0)

    finding = one_edit(ex, inputs, _outs(ex, no_g, inputs), sizes)
    assert finding.name == "dropped the factor g from dc * g", finding.name
    result = run_check("ch05.lstm_step_backward.values", no_g, 2)
    assert result.mistake == finding.name and "Where:" in result.message


@pytest.mark.parametrize("name", ["ch02.rnn_forward", "ch05.lstm_step_backward", "ch03.softmax_cross_entropy"])
def test_the_right_answer_has_no_finding_and_no_place(name):
    ex, inputs, sizes = _case(name)
    outs = ex.expected(inputs)
    assert diagnose(ex, inputs, outs, sizes) is None and locate(ex, inputs, outs) == ""
