package com.acme.payments.web.dto;

import jakarta.validation.constraints.Future;
import jakarta.validation.constraints.NotNull;

/**
 * Body of {@code POST /standing-orders/{orderId}/pause}.
 */
public record PauseStandingOrderRequest(@NotNull @Future java.time.LocalDate until) {
}
