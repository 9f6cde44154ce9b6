package com.acme.payments.domain;

import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.Id;

import java.time.Instant;

/**
 * A news post the bank shows to its customers in the app (rate changes, outages, new features).
 */
@Entity
public class NewsPost {

    @Id
    @GeneratedValue
    private Long id;
    private String title;
    private String body;
    private Instant publishedAt;

    protected NewsPost() {
    }

    public NewsPost(String title, String body) {
        this.title = title;
        this.body = body;
    }

    public Long getId() {
        return id;
    }

    public String getTitle() {
        return title;
    }

    public String getBody() {
        return body;
    }

    public Instant getPublishedAt() {
        return publishedAt;
    }

    /** Changes the text of a post that is not yet published. */
    public void edit(String title, String body) {
        if (publishedAt != null) {
            throw new IllegalStateException("a published post cannot be edited");
        }
        this.title = title;
        this.body = body;
    }

    /** Publishes the post at the given instant; publishing twice keeps the first instant. */
    public void publish(Instant at) {
        if (publishedAt == null) {
            publishedAt = at;
        }
    }
}
