package com.acme.payments.service;

import com.acme.payments.domain.Payment;
import com.acme.payments.domain.StandingOrder;
import org.springframework.stereotype.Service;

import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;

/**
 * Turns standing-order events into customer notifications.
 */
@Service
public class NotificationService {

    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("d MMMM yyyy", Locale.UK);

    private static final Map<String, String> FAILURE_TEXT = Map.of(
            "INSUFFICIENT_FUNDS", "there was not enough money in your account",
            "ACCOUNT_NOT_OPERATIONAL", "your account cannot make payments at the moment");

    private final NotificationGateway gateway;

    public NotificationService(NotificationGateway gateway) {
        this.gateway = gateway;
    }

    /**
     * Tells the customer a standing order payment did not go out and why.
     *
     * @param order   the standing order
     * @param payment the failed payment
     */
    public void paymentFailed(StandingOrder order, Payment payment) {
        String reason = FAILURE_TEXT.getOrDefault(payment.getFailureReason(), "of a technical problem");
        String body = String.format("Your standing order of %s to %s on %s was not paid because %s.",
                order.getAmount(), order.getPayee().getName(),
                DAY.format(payment.getExecutionDate()), reason);
        gateway.send(order.getAccountId(), "payment-failed", "Standing order not paid", body);
    }

    /**
     * Confirms that a standing order is paused and when it restarts.
     *
     * @param order the paused order
     */
    public void standingOrderPaused(StandingOrder order) {
        String body = String.format("Your standing order to %s is paused. Payments restart on %s.",
                order.getPayee().getName(), DAY.format(order.getPausedUntil()));
        gateway.send(order.getAccountId(), "standing-order-paused", "Standing order paused", body);
    }

    /**
     * Reminds the customer of a payment a few days before it is made.
     *
     * @param order      the standing order
     * @param today      the current date
     * @param daysBefore how many days ahead to remind
     * @return true when a reminder was sent
     */
    public boolean remindUpcoming(StandingOrder order, LocalDate today, int daysBefore) {
        LocalDate next = order.getNextPaymentDate();
        if (next == null || !next.equals(today.plusDays(daysBefore))) {
            return false;
        }
        String body = String.format("%s will be paid to %s on %s.",
                order.getAmount(), order.getPayee().getName(), DAY.format(next));
        gateway.send(order.getAccountId(), "payment-reminder", "Upcoming standing order", body);
        return true;
    }
}
