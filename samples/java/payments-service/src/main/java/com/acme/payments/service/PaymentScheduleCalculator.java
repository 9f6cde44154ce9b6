package com.acme.payments.service;

import com.acme.payments.domain.Frequency;
import com.acme.payments.domain.Money;
import com.acme.payments.domain.StandingOrder;
import org.springframework.stereotype.Service;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;

/**
 * Works out when a standing order pays and how much it will cost over a period.
 */
@Service
public class PaymentScheduleCalculator {

    private static final int MAX_PROJECTED_PAYMENTS = 520;

    private final BusinessDayCalendar calendar;

    public PaymentScheduleCalculator(BusinessDayCalendar calendar) {
        this.calendar = calendar;
    }

    /**
     * The first scheduled date strictly after {@code after}, ignoring business days.
     *
     * @param order the standing order
     * @param after the date after which to look
     * @return the next scheduled date, or null when the order has ended by then
     */
    public LocalDate nextPaymentDate(StandingOrder order, LocalDate after) {
        Frequency frequency = order.getFrequency();
        int anchorDay = order.getStartDate().getDayOfMonth();
        LocalDate date = order.getStartDate();
        while (!date.isAfter(after)) {
            date = frequency.advance(date, anchorDay);
        }
        if (order.getEndDate() != null && date.isAfter(order.getEndDate())) {
            return null;
        }
        return date;
    }

    /**
     * The next {@code count} dates on which money actually leaves the account, moved to
     * business days and stopping at the order's end date.
     *
     * @param order the standing order
     * @param from  the first date to consider (inclusive)
     * @param count how many dates to return at most
     * @return execution dates in order
     */
    public List<LocalDate> upcomingExecutionDates(StandingOrder order, LocalDate from, int count) {
        List<LocalDate> dates = new ArrayList<>();
        LocalDate scheduled = nextPaymentDate(order, from.minusDays(1));
        while (scheduled != null && dates.size() < count) {
            dates.add(calendar.onOrAfter(scheduled));
            scheduled = nextPaymentDate(order, scheduled);
        }
        return dates;
    }

    /**
     * How many payments fall between two dates, both inclusive.
     *
     * @param order the standing order
     * @param from  the first day of the period
     * @param to    the last day of the period
     * @return the number of scheduled payments
     */
    public int countPaymentsBetween(StandingOrder order, LocalDate from, LocalDate to) {
        if (to.isBefore(from)) {
            throw new IllegalArgumentException("period end is before its start");
        }
        int count = 0;
        LocalDate scheduled = nextPaymentDate(order, from.minusDays(1));
        while (scheduled != null && !scheduled.isAfter(to) && count < MAX_PROJECTED_PAYMENTS) {
            count++;
            scheduled = nextPaymentDate(order, scheduled);
        }
        return count;
    }

    /**
     * The total the order will pay between two dates, both inclusive.
     *
     * @param order the standing order
     * @param from  the first day of the period
     * @param to    the last day of the period
     * @return the projected outgoing amount
     */
    public Money projectedTotal(StandingOrder order, LocalDate from, LocalDate to) {
        int payments = countPaymentsBetween(order, from, to);
        Money perPayment = order.getAmount();
        return perPayment.times(BigDecimal.valueOf(payments));
    }

    /**
     * The yearly cost of an open-ended order, used on the "review your regular payments" page.
     *
     * @param order the standing order
     * @return amount times payments per year
     */
    public Money annualCost(StandingOrder order) {
        if (order.getStatus().isTerminal()) {
            return Money.zero(order.getAmount().getCurrency());
        }
        int perYear = order.getFrequency().paymentsPerYear();
        return order.getAmount().times(BigDecimal.valueOf(perYear));
    }
}
