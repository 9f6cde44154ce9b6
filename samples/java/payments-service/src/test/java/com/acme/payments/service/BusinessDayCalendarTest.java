package com.acme.payments.service;

import org.junit.jupiter.api.Test;

import java.time.LocalDate;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BusinessDayCalendarTest {

    private final BusinessDayCalendar calendar = new BusinessDayCalendar(
            Set.of(LocalDate.of(2026, 4, 3), LocalDate.of(2026, 4, 6), LocalDate.of(2026, 12, 25)));

    @Test
    void isBusinessDayIsFalseOnBankHoliday() {
        assertThat(calendar.isBusinessDay(LocalDate.of(2026, 12, 25))).isFalse();
        assertThat(calendar.isBusinessDay(LocalDate.of(2026, 12, 24))).isTrue();
    }

    @Test
    void onOrAfterSkipsWeekendAndHolidays() {
        assertThat(calendar.onOrAfter(LocalDate.of(2026, 4, 3))).isEqualTo(LocalDate.of(2026, 4, 7));
    }

    @Test
    void onOrAfterKeepsABusinessDay() {
        assertThat(calendar.onOrAfter(LocalDate.of(2026, 3, 2))).isEqualTo(LocalDate.of(2026, 3, 2));
    }

    @Test
    void plusBusinessDaysSkipsEaster() {
        assertThat(calendar.plusBusinessDays(LocalDate.of(2026, 4, 2), 2))
                .isEqualTo(LocalDate.of(2026, 4, 8));
    }

    @Test
    void plusBusinessDaysRejectsNegativeDays() {
        assertThatThrownBy(() -> calendar.plusBusinessDays(LocalDate.of(2026, 4, 2), -1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void addHolidayIgnoresWeekends() {
        assertThat(calendar.addHoliday(LocalDate.of(2026, 12, 26))).isFalse();
        assertThat(calendar.addHoliday(LocalDate.of(2026, 8, 31))).isTrue();
        assertThat(calendar.isBusinessDay(LocalDate.of(2026, 8, 31))).isFalse();
    }
}
