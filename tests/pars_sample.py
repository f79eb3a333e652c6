"""A PARS batch activity using every element of the issue-14 fields, and what it must become.

No real PARS activity file is public: this follows the MedBiquitous MEMS schemas in
shared/pars-xml (``nonAccreditedProvider`` in ``credits``, ``activitySponsorship`` and
``commercialSupport`` in ``healthcareEducation``, ``CommercialSupportAmount`` with its
``supportSource`` attribute in ``ActivityDescription``, LOM ``keyword`` strings) and the ACCME
extensions domain.md §3.3 lists under ``XtensibleInfo`` (``InKindSupports``,
``IsMeritBasedIncentivePaymentSystem``, ``REMS/REMSType``, ``StateContentTags``,
``ContentOutlines``) in a made-up namespace, since ACCME's draft names none.
"""

from __future__ import annotations

from typing import Any

NAMESPACES = (
    'xmlns="http://ns.medbiq.org/metrics/v1/" xmlns:lom="http://ltsc.ieee.org/xsd/LOM" '
    'xmlns:hx="http://ns.medbiq.org/lom/extend/v1/" xmlns:a="http://ns.medbiq.org/address/v1/" '
    'xmlns:x="urn:example:accme"'
)

EVERY_ELEMENT = f"""<?xml version="1.0" encoding="UTF-8"?>
<ACCMEActivities {NAMESPACES}>
  <MedicalEducationMetrics>
    <ActivityDescription>
      <lom:lom>
        <lom:general>
          <lom:identifier><lom:catalog>ACCME Activity ID</lom:catalog>
            <lom:entry>200123456</lom:entry></lom:identifier>
          <lom:identifier><lom:catalog>Provider Activity ID</lom:catalog>
            <lom:entry>PS-2030</lom:entry></lom:identifier>
          <lom:identifier><lom:catalog>URL</lom:catalog>
            <lom:entry>https://example.org/ps-2030</lom:entry></lom:identifier>
          <lom:title><lom:string language="en">Regional Anesthesia Safety Workshop</lom:string>
          </lom:title>
          <lom:description><lom:string>Nerve blocks without wrong-site errors.</lom:string>
          </lom:description>
          <lom:keyword><x:source>02_ABAMCO</x:source><x:id>Free Text</x:id>
            <lom:string>Special Problems or Issues in Anesthesiology</lom:string></lom:keyword>
          <lom:keyword source="01_ABAMCO" id="Free Text">
            <lom:string>Regional Anesthesia</lom:string></lom:keyword>
          <lom:keyword><lom:string>ultrasound</lom:string></lom:keyword>
        </lom:general>
        <hx:healthcareMetadata><hx:healthcareEducation>
          <hx:credits><hx:activityCertification>AMA PRA Category 1</hx:activityCertification>
            <hx:nonAccreditedProvider>Boston Regional Anesthesia Society</hx:nonAccreditedProvider>
            <hx:numberOfCredits>6</hx:numberOfCredits></hx:credits>
          <hx:credits><hx:activityCertification>IPCE</hx:activityCertification>
            <hx:nonAccreditedProvider>Boston Regional Anesthesia Society</hx:nonAccreditedProvider>
            <hx:numberOfCredits>6</hx:numberOfCredits></hx:credits>
          <hx:targetAudience>
            <hx:specialty><lom:string>Regional Anesthesia/Acute Pain</lom:string></hx:specialty>
            <hx:specialty><lom:string>General Surgery</lom:string></hx:specialty>
          </hx:targetAudience>
          <hx:activityLocation><a:City>Boston</a:City><a:StateOrProvince>MA</a:StateOrProvince>
            <a:PostalCode>02115</a:PostalCode>
            <a:Country><a:CountryCode>USA</a:CountryCode></a:Country></hx:activityLocation>
          <hx:startDateTime>2030-05-01T00:00:00</hx:startDateTime>
          <hx:endDateTime>2030-05-01T00:00:00</hx:endDateTime>
          <hx:activitySponsorship>joint</hx:activitySponsorship>
          <hx:activityFormat><lom:string>Live course</lom:string></hx:activityFormat>
          <hx:commercialSupport>yes</hx:commercialSupport>
        </hx:healthcareEducation></hx:healthcareMetadata>
      </lom:lom>
      <CommercialSupportAmount currency="USD" supportSource="Northbridge Pharmaceuticals"
        >5000</CommercialSupportAmount>
    </ActivityDescription>
    <ParticipationMetrics/>
    <XtensibleInfo>
      <x:DeliveryMethods><x:DeliveryMethod>In-Person</x:DeliveryMethod></x:DeliveryMethods>
      <x:MOCRegistrations>
        <x:MOCRegistration><x:boardName>ABA</x:boardName><x:mocPoints>6</x:mocPoints>
          <x:MOCCreditType>Patient Safety</x:MOCCreditType></x:MOCRegistration>
        <x:MOCRegistration><x:boardName>ABS</x:boardName><x:mocPoints>6</x:mocPoints>
          <x:MOCCreditType>SA</x:MOCCreditType></x:MOCRegistration>
      </x:MOCRegistrations>
      <x:ForPublicList>true</x:ForPublicList>
      <x:FeeForParticipation>Yes</x:FeeForParticipation>
      <x:ActivityRegistration>Open to all</x:ActivityRegistration>
      <x:InKindSupports><x:InKindSupport><x:source>Keystone Medical Devices</x:source>
      </x:InKindSupport></x:InKindSupports>
      <x:IsMeritBasedIncentivePaymentSystem>true</x:IsMeritBasedIncentivePaymentSystem>
      <x:REMS><x:REMSType>Opioid Analgesic</x:REMSType></x:REMS>
      <x:HasStateContentTags>true</x:HasStateContentTags>
      <x:StateContentTags>
        <x:StateContentTag><x:Domain>Opioids</x:Domain>
          <x:Topic>Controlled substance prescribing</x:Topic></x:StateContentTag>
        <x:StateContentTag>Pain management</x:StateContentTag>
      </x:StateContentTags>
      <x:activityRecordAction>Add</x:activityRecordAction>
    </XtensibleInfo>
  </MedicalEducationMetrics>
</ACCMEActivities>
""".encode()

# What the file holds, as the catalog stores and shows it.
EXPECTED: dict[str, Any] = {
    "provider_activity_id": "PS-2030",
    "title": "Regional Anesthesia Safety Workshop",
    "accme_activity_id": "200123456",
    "providership": "joint",
    "joint_providers": ["Boston Regional Anesthesia Society"],
    "commercial_support": [
        {"name": "Northbridge Pharmaceuticals", "kind": "monetary"},
        {"name": "Keystone Medical Devices", "kind": "in_kind"},
    ],
    "rems": True,
    "mips": True,
    "topics": ["controlled_substances", "pain_management"],
    "moc": [
        {
            "board": "ABA",
            "points": 6.0,
            "credit_types": ["LL", "PS"],
            "practice_areas": ["Regional Anesthesia/Acute Pain"],
            "credit_claim_date": None,
            "content_outline": [
                "Regional Anesthesia",
                "Special Problems or Issues in Anesthesiology",
            ],
        },
        {
            "board": "ABS",
            "points": 6.0,
            "credit_types": ["CME", "SA"],
            "practice_areas": ["General Surgery"],
            "credit_claim_date": None,
            "content_outline": [],
        },
    ],
}
