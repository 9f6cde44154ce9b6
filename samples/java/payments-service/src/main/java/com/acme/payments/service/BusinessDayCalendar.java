package com.acme.payments.service;

import org.springframework.stereotype.Component;

import java.time.DayOfWeek;
import java.time.LocalDate;
import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;

/**
 * Knows which days the payment scheme is open: weekdays that are not bank holidays.
 */
@Component
public class BusinessDayCalendar {

    private final Set<LocalDate> holidays = new TreeSet<>();

    public BusinessDayCalendar() {
        this(Set.of());
    }

    public BusinessDayCalendar(Collection<LocalDate> bankHolidays) {
        holidays.addAll(bankHolidays);
    }

    /**
     * Whether payments can settle on this date.
     *
     * @param date the date to check
     * @return false on weekends and bank holidays
     */
    public boolean isBusinessDay(LocalDate date) {
        DayOfWeek day = date.getDayOfWeek();
        if (day == DayOfWeek.SATURDAY || day == DayOfWeek.SUNDAY) {
            return false;
        }
        return !holidays.contains(date);
    }

    /**
     * The given date if it is a business day, otherwise the next one after it.
     *
     * @param date the scheduled date
     * @return the date the payment will actually be made
     */
    public LocalDate onOrAfter(LocalDate date) {
        LocalDate candidate = date;
        while (!isBusinessDay(candidate)) {
            candidate = candidate.plusDays(1);
        }
        return candidate;
    }

    /**
     * Moves forward by a number of business days, skipping weekends and holidays.
     *
     * @param date the starting date (not counted)
     * @param days how many business days to add, zero or more
     * @return the resulting business day
     */
    public LocalDate plusBusinessDays(LocalDate date, int days) {
        if (days < 0) {
            throw new IllegalArgumentException("days must not be negative");
        }
        LocalDate result = date;
        int remaining = days;
        while (remaining > 0) {
            result = result.plusDays(1);
            if (isBusinessDay(result)) {
                remaining--;
            }
        }
        return result;
    }

    /**
     * Registers an extra bank holiday, for example a one-off royal occasion.
     *
     * @param date the holiday
     * @return true when the date was not already a holiday
     */
    public boolean addHoliday(LocalDate date) {
        if (date.getDayOfWeek() == DayOfWeek.SATURDAY || date.getDayOfWeek() == DayOfWeek.SUNDAY) {
            return false;
        }
        return holidays.add(date);
    }
}
