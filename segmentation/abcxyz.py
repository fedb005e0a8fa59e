"""ABC and XYZ classes of clients, exactly as DOMAIN.md section 5 defines them.

Pure: numpy and pandas only, no Django, no loop over clients.

ABC: clients sorted by total descending (ties by client id); a client is A while the share of
the clients *before* it is below `a`, B while below `b`, else C; a zero or negative total is C.
XYZ: CV = population standard deviation / mean of the client's amounts per period, over its
history (from its first non-zero period to the window's end, missing periods = 0); X if
CV <= x, Y if x < CV <= y, Z above; no class ("") with a history shorter than `min_history`
periods or a mean of zero or below.
"""

import numpy as np
import pandas as pd

COLUMNS = ["total", "share", "cum_share", "abc", "cv", "xyz"]
# Shares and CVs are compared after rounding to this many decimals, so that a value that is
# exactly a threshold in decimal (0.8, 0.1) is not pushed over it by binary rounding of sums.
DECIMALS = 12


def abc_xyz(
    frame: pd.DataFrame,
    *,
    a: float = 0.5,
    b: float = 0.8,
    x: float = 0.10,
    y: float = 0.25,
    min_history: int = 4,
) -> pd.DataFrame:
    """Classify every row (client) of a wide frame of amounts per consecutive period."""
    if not 0 < a < b <= 1:
        raise ValueError("thresholds must satisfy 0 < a < b <= 1")
    if not 0 <= x < y:
        raise ValueError("thresholds must satisfy 0 <= x < y")
    if min_history < 1:
        raise ValueError("min_history must be at least 1")
    values = frame.fillna(0).to_numpy(dtype="float64", copy=False)
    n_clients, n_periods = values.shape
    result = pd.DataFrame(index=frame.index)
    totals = values.sum(axis=1) if n_periods else np.zeros(n_clients)
    result["total"] = totals
    share, cum_share, abc = _abc(totals, frame.index, a=a, b=b)
    result["share"] = share
    result["cum_share"] = cum_share
    result["abc"] = abc
    cv, xyz = _xyz(values, x=x, y=y, min_history=min_history)
    result["cv"] = cv
    result["xyz"] = xyz
    return result


def _abc(totals: np.ndarray, index: pd.Index, *, a: float, b: float):
    n = len(totals)
    positive = np.where(totals > 0, totals, 0.0)
    base = positive.sum()
    # Descending by total, ties by client id ascending: lexsort's last key is the primary one.
    id_rank = np.empty(n, dtype=np.int64)
    id_rank[index.argsort(kind="stable")] = np.arange(n)
    order = np.lexsort((id_rank, -totals))
    ordered = positive[order]
    cumulative = np.cumsum(ordered)
    before = cumulative - ordered
    share = totals / base if base > 0 else np.zeros(n)
    cum_share = np.zeros(n)
    before_share = np.zeros(n)
    if base > 0:
        cum_share[order] = np.round(cumulative / base, DECIMALS)
        before_share[order] = np.round(before / base, DECIMALS)
    abc = np.where(before_share < a, "A", np.where(before_share < b, "B", "C")).astype(object)
    abc[totals <= 0] = "C"
    return share, cum_share, abc


def _xyz(values: np.ndarray, *, x: float, y: float, min_history: int):
    n_clients, n_periods = values.shape
    cv = np.full(n_clients, np.nan)
    xyz = np.full(n_clients, "", dtype=object)
    if n_periods == 0 or n_clients == 0:
        return cv, xyz
    nonzero = values != 0
    has_any = nonzero.any(axis=1)
    first = np.where(has_any, nonzero.argmax(axis=1), n_periods)
    history = n_periods - first
    inside = np.arange(n_periods)[None, :] >= first[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(inside, values, 0.0).sum(axis=1) / history
        deviation = np.where(inside, values - mean[:, None], 0.0)
        std = np.sqrt((deviation * deviation).sum(axis=1) / history)
        ratio = std / mean
    classified = (history >= min_history) & (mean > 0)
    cv[classified] = np.round(ratio[classified], DECIMALS)
    xyz[classified] = np.where(cv[classified] <= x, "X", np.where(cv[classified] <= y, "Y", "Z"))
    return cv, xyz
