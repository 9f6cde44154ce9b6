package com.acme.payments.web.dto;

import com.acme.payments.domain.Frequency;
import com.acme.payments.domain.StandingOrder;
import com.acme.payments.domain.StandingOrderStatus;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.UUID;

/**
 * A standing order as returned by the API.
 */
public record StandingOrderResponse(
        UUID id,
        UUID accountId,
        UUID payeeId,
        String payeeName,
        BigDecimal amount,
        String currency,
        Frequency frequency,
        LocalDate startDate,
        LocalDate endDate,
        LocalDate nextPaymentDate,
        LocalDate pausedUntil,
        StandingOrderStatus status,
        String reference) {

    /**
     * Maps the entity to its API representation.
     *
     * @param order the standing order
     * @return the response body
     */
    public static StandingOrderResponse from(StandingOrder order) {
        return new StandingOrderResponse(
                order.getId(), order.getAccountId(),
                order.getPayee().getId(), order.getPayee().getName(),
                order.getAmount().getAmount(), order.getAmount().getCurrency(),
                order.getFrequency(), order.getStartDate(), order.getEndDate(),
                order.getNextPaymentDate(), order.getPausedUntil(),
                order.getStatus(), order.getReference());
    }
}
