package com.acme.payments.domain;

import com.acme.payments.exception.InvalidStatusTransitionException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StandingOrderTest {

    private StandingOrder order;

    @BeforeEach
    void setUp() {
        UUID accountId = UUID.randomUUID();
        Payee landlord = new Payee(accountId, "Oakwood Lettings", "123456", "87654321", "FLAT 2 RENT");
        order = new StandingOrder(accountId, landlord, Money.of(new BigDecimal("850.00"), "GBP"),
                Frequency.MONTHLY, LocalDate.of(2026, 1, 15), "FLAT 2 RENT");
    }

    @Test
    void pauseRecordsStatusAndEndOfPause() {
        order.pause(LocalDate.of(2026, 4, 1));

        assertThat(order.getStatus()).isEqualTo(StandingOrderStatus.PAUSED);
        assertThat(order.getPausedUntil()).isEqualTo(LocalDate.of(2026, 4, 1));
    }

    @Test
    void pauseRejectsDateBeforeNextPayment() {
        assertThatThrownBy(() -> order.pause(LocalDate.of(2026, 1, 10)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(order.getStatus()).isEqualTo(StandingOrderStatus.ACTIVE);
    }

    @Test
    void resumeSkipsPaymentsMissedDuringPause() {
        order.pause(LocalDate.of(2026, 4, 1));

        order.resume(LocalDate.of(2026, 3, 20));

        assertThat(order.getStatus()).isEqualTo(StandingOrderStatus.ACTIVE);
        assertThat(order.getNextPaymentDate()).isEqualTo(LocalDate.of(2026, 4, 15));
        assertThat(order.getPausedUntil()).isNull();
    }

    @Test
    void cancelClearsNextPaymentDate() {
        order.cancel();

        assertThat(order.getStatus()).isEqualTo(StandingOrderStatus.CANCELLED);
        assertThat(order.getNextPaymentDate()).isNull();
    }

    @Test
    void cancelTwiceIsRejected() {
        order.cancel();

        assertThatThrownBy(order::cancel).isInstanceOf(InvalidStatusTransitionException.class);
    }

    @Test
    void isDueOnIsFalseWhilePaused() {
        assertThat(order.isDueOn(LocalDate.of(2026, 1, 15))).isTrue();
        assertThat(order.isDueOn(LocalDate.of(2026, 1, 14))).isFalse();

        order.pause(LocalDate.of(2026, 4, 1));

        assertThat(order.isDueOn(LocalDate.of(2026, 1, 15))).isFalse();
    }

    @Test
    void recordPaymentCompletesOrderAfterEndDate() {
        order.setEndDate(LocalDate.of(2026, 2, 20));

        order.recordPayment(LocalDate.of(2026, 3, 15));

        assertThat(order.getStatus()).isEqualTo(StandingOrderStatus.COMPLETED);
        assertThat(order.getNextPaymentDate()).isNull();
        assertThat(order.getPaymentsMade()).isEqualTo(1);
    }
}
