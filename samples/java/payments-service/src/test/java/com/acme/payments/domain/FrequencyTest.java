package com.acme.payments.domain;

import org.junit.jupiter.api.Test;

import java.time.LocalDate;

import static org.assertj.core.api.Assertions.assertThat;

class FrequencyTest {

    @Test
    void advanceMonthlyClampsToEndOfFebruary() {
        LocalDate next = Frequency.MONTHLY.advance(LocalDate.of(2026, 1, 31), 31);

        assertThat(next).isEqualTo(LocalDate.of(2026, 2, 28));
    }

    @Test
    void advanceMonthlyReturnsToAnchorDayAfterShortMonth() {
        LocalDate next = Frequency.MONTHLY.advance(LocalDate.of(2026, 2, 28), 31);

        assertThat(next).isEqualTo(LocalDate.of(2026, 3, 31));
    }

    @Test
    void advanceFortnightlyAddsFourteenDays() {
        assertThat(Frequency.FORTNIGHTLY.advance(LocalDate.of(2026, 3, 2), 2))
                .isEqualTo(LocalDate.of(2026, 3, 16));
    }

    @Test
    void isMonthBasedOnlyForCalendarFrequencies() {
        assertThat(Frequency.QUARTERLY.isMonthBased()).isTrue();
        assertThat(Frequency.ANNUALLY.isMonthBased()).isTrue();
        assertThat(Frequency.WEEKLY.isMonthBased()).isFalse();
    }
}
