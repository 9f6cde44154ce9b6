package com.acme.payments.domain;

import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Currency;
import java.util.List;
import java.util.Objects;

/**
 * An amount of money in one currency, always held at the currency's minor-unit scale.
 */
@Embeddable
public class Money implements Comparable<Money> {

    @Column(name = "amount", nullable = false, precision = 19, scale = 2)
    private BigDecimal amount;

    @Column(name = "currency", nullable = false, length = 3)
    private String currency;

    protected Money() {
        // for JPA
    }

    private Money(BigDecimal amount, String currency) {
        this.amount = amount;
        this.currency = currency;
    }

    /**
     * Creates a money value, rounding half-even to the currency's minor units.
     *
     * @param amount   the amount, may have any scale
     * @param currency an ISO 4217 currency code such as "GBP"
     * @return the money value
     */
    public static Money of(BigDecimal amount, String currency) {
        Objects.requireNonNull(amount, "amount");
        Currency iso = Currency.getInstance(currency);
        int scale = Math.max(iso.getDefaultFractionDigits(), 0);
        return new Money(amount.setScale(scale, RoundingMode.HALF_EVEN), iso.getCurrencyCode());
    }

    /**
     * Parses a plain decimal string such as "12.50" into money of the given currency.
     *
     * @param text     the decimal text
     * @param currency the currency code
     * @return the money value
     */
    public static Money parse(String text, String currency) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("amount text must not be blank");
        }
        String cleaned = text.trim().replace(",", "");
        return of(new BigDecimal(cleaned), currency);
    }

    /** Zero in the given currency. */
    public static Money zero(String currency) {
        return of(BigDecimal.ZERO, currency);
    }

    /**
     * Adds another amount of the same currency.
     *
     * @param other the amount to add
     * @return the sum
     */
    public Money plus(Money other) {
        requireSameCurrency(other);
        BigDecimal sum = amount.add(other.amount);
        return new Money(sum, currency);
    }

    /**
     * Subtracts another amount of the same currency.
     *
     * @param other the amount to subtract
     * @return the difference, which may be negative
     */
    public Money minus(Money other) {
        requireSameCurrency(other);
        BigDecimal difference = amount.subtract(other.amount);
        return new Money(difference, currency);
    }

    /**
     * Multiplies by a factor, rounding half-even to minor units.
     *
     * @param factor the multiplier, for example an interest or fee rate
     * @return the product
     */
    public Money times(BigDecimal factor) {
        Objects.requireNonNull(factor, "factor");
        BigDecimal product = amount.multiply(factor);
        return new Money(product.setScale(amount.scale(), RoundingMode.HALF_EVEN), currency);
    }

    /**
     * Splits the amount into {@code parts} shares that add up exactly to the original,
     * giving the leftover minor units to the first shares.
     *
     * @param parts how many shares, at least one
     * @return the shares, largest first
     */
    public List<Money> allocate(int parts) {
        if (parts < 1) {
            throw new IllegalArgumentException("parts must be at least 1");
        }
        BigDecimal unit = BigDecimal.ONE.movePointLeft(amount.scale());
        long minorUnits = amount.movePointRight(amount.scale()).longValueExact();
        long share = minorUnits / parts;
        long remainder = minorUnits % parts;
        List<Money> shares = new ArrayList<>(parts);
        for (int i = 0; i < parts; i++) {
            BigDecimal value = unit.multiply(BigDecimal.valueOf(share + (i < remainder ? 1 : 0)));
            shares.add(new Money(value.setScale(amount.scale()), currency));
        }
        return shares;
    }

    /** True when the amount is strictly greater than zero. */
    public boolean isPositive() {
        return amount.signum() > 0;
    }

    /** True when the amount is strictly less than zero. */
    public boolean isNegative() {
        return amount.signum() < 0;
    }

    /**
     * Whether this amount is greater than another of the same currency.
     *
     * @param other the amount to compare with
     * @return true when this is larger
     */
    public boolean isGreaterThan(Money other) {
        requireSameCurrency(other);
        return amount.compareTo(other.amount) > 0;
    }

    public BigDecimal getAmount() {
        return amount;
    }

    public String getCurrency() {
        return currency;
    }

    @Override
    public int compareTo(Money other) {
        requireSameCurrency(other);
        return amount.compareTo(other.amount);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Money other)) {
            return false;
        }
        return amount.compareTo(other.amount) == 0 && currency.equals(other.currency);
    }

    @Override
    public int hashCode() {
        return Objects.hash(amount.stripTrailingZeros(), currency);
    }

    @Override
    public String toString() {
        return currency + " " + amount.toPlainString();
    }

    private void requireSameCurrency(Money other) {
        Objects.requireNonNull(other, "other");
        if (!currency.equals(other.currency)) {
            throw new IllegalArgumentException(
                    "currency mismatch: " + currency + " and " + other.currency);
        }
    }
}
