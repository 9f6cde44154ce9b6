package com.acme.payments.web.dto;

import jakarta.validation.constraints.Digits;
import jakarta.validation.constraints.Size;

import java.math.BigDecimal;
import java.time.LocalDate;

/**
 * Body of {@code PATCH /standing-orders/{orderId}}; null fields are left unchanged.
 */
public record AmendStandingOrderRequest(
        @Digits(integer = 17, fraction = 2) BigDecimal amount,
        LocalDate endDate,
        @Size(max = 18) String reference) {
}
