package com.acme.payments.domain;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.Instant;
import java.util.Locale;
import java.util.UUID;

/**
 * Someone an account holder has saved so they can pay them again.
 */
@Entity
@Table(name = "payees")
public class Payee {

    @Id
    private UUID id;

    @Column(name = "account_id", nullable = false)
    private UUID accountId;

    @Column(nullable = false, length = 70)
    private String name;

    @Column(name = "sort_code", nullable = false, length = 6)
    private String sortCode;

    @Column(name = "account_number", nullable = false, length = 8)
    private String accountNumber;

    @Column(length = 18)
    private String reference;

    @Column(name = "created_at", nullable = false)
    private Instant createdAt;

    @Column(nullable = false)
    private boolean verified;

    protected Payee() {
        // for JPA
    }

    public Payee(UUID accountId, String name, String sortCode, String accountNumber, String reference) {
        this.id = UUID.randomUUID();
        this.accountId = accountId;
        this.name = name;
        this.sortCode = sortCode;
        this.accountNumber = accountNumber;
        this.reference = reference;
        this.createdAt = Instant.now();
    }

    /**
     * Whether this payee points at the given destination account.
     *
     * @param otherSortCode      six digits, dashes allowed
     * @param otherAccountNumber eight digits
     * @return true for the same destination
     */
    public boolean hasSameDestination(String otherSortCode, String otherAccountNumber) {
        String normalised = otherSortCode == null ? "" : otherSortCode.replace("-", "");
        return sortCode.equals(normalised)
                && accountNumber.equals(otherAccountNumber);
    }

    /**
     * Confirmation of payee: compares the name the customer typed with the name the
     * receiving bank holds, ignoring case, punctuation and repeated spaces.
     *
     * @param nameOnAccount the name held by the receiving bank
     * @return true when the names match closely enough to mark the payee verified
     */
    public boolean confirmName(String nameOnAccount) {
        String expected = simplify(name);
        String actual = simplify(nameOnAccount);
        verified = !expected.isEmpty() && expected.equals(actual);
        return verified;
    }

    private static String simplify(String value) {
        if (value == null) {
            return "";
        }
        String letters = value.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9 ]", "");
        return letters.trim().replaceAll("\\s+", " ");
    }

    public UUID getId() {
        return id;
    }

    public UUID getAccountId() {
        return accountId;
    }

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public String getSortCode() {
        return sortCode;
    }

    public String getAccountNumber() {
        return accountNumber;
    }

    public String getReference() {
        return reference;
    }

    public void setReference(String reference) {
        this.reference = reference;
    }

    public Instant getCreatedAt() {
        return createdAt;
    }

    public boolean isVerified() {
        return verified;
    }
}
