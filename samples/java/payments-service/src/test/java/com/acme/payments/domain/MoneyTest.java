package com.acme.payments.domain;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MoneyTest {

    private static Money gbp(String amount) {
        return Money.of(new BigDecimal(amount), "GBP");
    }

    @Test
    void ofRoundsHalfEvenToMinorUnits() {
        assertThat(gbp("10.125").getAmount()).isEqualByComparingTo("10.12");
        assertThat(gbp("10.135").getAmount()).isEqualByComparingTo("10.14");
    }

    @Test
    void ofUsesZeroDecimalsForYen() {
        Money yen = Money.of(new BigDecimal("1500.4"), "JPY");

        assertThat(yen.getAmount().scale()).isZero();
        assertThat(yen.getAmount()).isEqualByComparingTo("1500");
    }

    @Test
    void parseStripsThousandsSeparators() {
        assertThat(Money.parse(" 1,250.50 ", "GBP")).isEqualTo(gbp("1250.50"));
    }

    @Test
    void parseRejectsBlankText() {
        assertThatThrownBy(() -> Money.parse("  ", "GBP"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("blank");
    }

    @Test
    void plusAddsAmountsOfSameCurrency() {
        assertThat(gbp("12.40").plus(gbp("0.60"))).isEqualTo(gbp("13.00"));
    }

    @Test
    void plusRejectsDifferentCurrency() {
        Money euros = Money.of(BigDecimal.ONE, "EUR");

        assertThatThrownBy(() -> gbp("1.00").plus(euros))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("currency mismatch");
    }

    @Test
    void minusMayGoBelowZero() {
        Money result = gbp("20.00").minus(gbp("25.50"));

        assertThat(result.isNegative()).isTrue();
        assertThat(result).isEqualTo(gbp("-5.50"));
    }

    @Test
    void timesRoundsTheProduct() {
        assertThat(gbp("33.33").times(new BigDecimal("0.015"))).isEqualTo(gbp("0.50"));
    }

    @Test
    void allocateGivesRemainderToFirstShares() {
        List<Money> shares = gbp("100.00").allocate(3);

        assertThat(shares).containsExactly(gbp("33.34"), gbp("33.33"), gbp("33.33"));
    }

    @Test
    void allocateRejectsZeroParts() {
        assertThatThrownBy(() -> gbp("10.00").allocate(0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void equalsIgnoresScale() {
        assertThat(Money.parse("5", "GBP")).isEqualTo(gbp("5.00"));
        assertThat(gbp("5.00")).isNotEqualTo(Money.of(new BigDecimal("5.00"), "EUR"));
    }
}
