"""Labels of the measures (``metric_<key>`` of :data:`heatmap.measures.MEASURES`) and counts."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    "metric": ("指标", "Measure"),
    "metric_volume": ("接诉量", "Volume"),
    "metric_per_10k": ("万人诉求比", "Requests per 10,000 residents"),
    "metric_response_rate": ("响应率", "Response rate"),
    "metric_resolution_rate": ("解决率", "Resolution rate"),
    "metric_satisfaction_rate": ("满意率", "Satisfaction rate"),
    "volume_measure": ("接诉量口径", "Volume counts"),
    "measure_dispatched": ("派单量", "Dispatched"),
    "measure_accepted": ("受理量", "Accepted"),
    # the 预警 map's measure (not in MEASURES)
    "metric_p_top_ten": ("进入前十概率", "Probability of the top ten"),
    "measure_words_dispatched": ("派单量", "dispatched requests"),
    "measure_words_accepted": ("受理量", "accepted requests"),
}
