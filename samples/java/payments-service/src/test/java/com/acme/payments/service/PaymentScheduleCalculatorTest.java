package com.acme.payments.service;

import com.acme.payments.domain.Frequency;
import com.acme.payments.domain.Money;
import com.acme.payments.domain.Payee;
import com.acme.payments.domain.StandingOrder;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class PaymentScheduleCalculatorTest {

    private final PaymentScheduleCalculator calculator = new PaymentScheduleCalculator(new BusinessDayCalendar());

    private static StandingOrder order(Frequency frequency, LocalDate start, String amount) {
        UUID accountId = UUID.randomUUID();
        Payee payee = new Payee(accountId, "Northside Savings", "654321", "11223344", "SAVINGS");
        return new StandingOrder(accountId, payee, Money.of(new BigDecimal(amount), "GBP"),
                frequency, start, "SAVINGS");
    }

    @Test
    void nextPaymentDateForMonthlyOrderClampsToMonthEnd() {
        StandingOrder monthly = order(Frequency.MONTHLY, LocalDate.of(2026, 1, 31), "100.00");

        assertThat(calculator.nextPaymentDate(monthly, LocalDate.of(2026, 1, 31)))
                .isEqualTo(LocalDate.of(2026, 2, 28));
        assertThat(calculator.nextPaymentDate(monthly, LocalDate.of(2026, 2, 28)))
                .isEqualTo(LocalDate.of(2026, 3, 31));
    }

    @Test
    void nextPaymentDateIsNullAfterEndDate() {
        StandingOrder monthly = order(Frequency.MONTHLY, LocalDate.of(2026, 1, 31), "100.00");
        monthly.setEndDate(LocalDate.of(2026, 3, 15));

        assertThat(calculator.nextPaymentDate(monthly, LocalDate.of(2026, 2, 28))).isNull();
    }

    @Test
    void upcomingExecutionDatesMovesWeekendsToMonday() {
        StandingOrder monthly = order(Frequency.MONTHLY, LocalDate.of(2026, 1, 31), "100.00");

        assertThat(calculator.upcomingExecutionDates(monthly, LocalDate.of(2026, 1, 1), 3))
                .containsExactly(LocalDate.of(2026, 2, 2), LocalDate.of(2026, 3, 2), LocalDate.of(2026, 3, 31));
    }

    @Test
    void countPaymentsBetweenIncludesBothEnds() {
        StandingOrder weekly = order(Frequency.WEEKLY, LocalDate.of(2026, 1, 5), "25.00");

        assertThat(calculator.countPaymentsBetween(weekly, LocalDate.of(2026, 1, 5), LocalDate.of(2026, 2, 2)))
                .isEqualTo(5);
    }

    @Test
    void projectedTotalMultipliesAmountByPayments() {
        StandingOrder monthly = order(Frequency.MONTHLY, LocalDate.of(2026, 1, 31), "100.00");

        Money total = calculator.projectedTotal(monthly, LocalDate.of(2026, 1, 1), LocalDate.of(2026, 6, 30));

        assertThat(total).isEqualTo(Money.of(new BigDecimal("600.00"), "GBP"));
    }

    @Test
    void annualCostIsZeroForCancelledOrder() {
        StandingOrder weekly = order(Frequency.WEEKLY, LocalDate.of(2026, 1, 5), "10.00");
        assertThat(calculator.annualCost(weekly)).isEqualTo(Money.of(new BigDecimal("520.00"), "GBP"));

        weekly.cancel();

        assertThat(calculator.annualCost(weekly).isPositive()).isFalse();
    }
}
