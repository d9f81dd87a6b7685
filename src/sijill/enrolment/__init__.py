"""Enrolment: people no registry holds, enrolled at a desk or offline on a field device."""
