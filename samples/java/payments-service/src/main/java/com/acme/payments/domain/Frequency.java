package com.acme.payments.domain;

import java.time.LocalDate;

/**
 * How often a standing order pays out.
 */
public enum Frequency {
    WEEKLY(52),
    FORTNIGHTLY(26),
    MONTHLY(12),
    QUARTERLY(4),
    ANNUALLY(1);

    private final int paymentsPerYear;

    Frequency(int paymentsPerYear) {
        this.paymentsPerYear = paymentsPerYear;
    }

    public int paymentsPerYear() {
        return paymentsPerYear;
    }

    /**
     * The date one period after {@code date}. Month-based frequencies keep the anchor day of
     * month where it exists and fall back to the last day of shorter months.
     *
     * @param date      the previous payment date
     * @param anchorDay the day of month the order was set up for (1-31)
     * @return the next date in the series
     */
    public LocalDate advance(LocalDate date, int anchorDay) {
        LocalDate next = switch (this) {
            case WEEKLY -> date.plusWeeks(1);
            case FORTNIGHTLY -> date.plusWeeks(2);
            case MONTHLY -> date.plusMonths(1);
            case QUARTERLY -> date.plusMonths(3);
            case ANNUALLY -> date.plusYears(1);
        };
        if (!isMonthBased()) {
            return next;
        }
        int day = Math.min(anchorDay, next.lengthOfMonth());
        return next.withDayOfMonth(day);
    }

    /** True for frequencies measured in calendar months rather than weeks. */
    public boolean isMonthBased() {
        return this == MONTHLY || this == QUARTERLY || this == ANNUALLY;
    }
}
