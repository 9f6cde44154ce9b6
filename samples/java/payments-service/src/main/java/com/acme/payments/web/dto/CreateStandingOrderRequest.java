package com.acme.payments.web.dto;

import com.acme.payments.domain.Frequency;
import jakarta.validation.constraints.Digits;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.UUID;

/**
 * Body of {@code POST /accounts/{accountId}/standing-orders}.
 */
public record CreateStandingOrderRequest(
        @NotNull UUID payeeId,
        @NotNull @Digits(integer = 17, fraction = 2) BigDecimal amount,
        @NotBlank @Size(min = 3, max = 3) String currency,
        @NotNull Frequency frequency,
        @NotNull LocalDate startDate,
        LocalDate endDate,
        @Size(max = 18) String reference) {
}
